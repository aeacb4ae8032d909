import { type RawBuilder, sql } from 'kysely';

/**
 * A column as a value that no index can serve (`column || ''`), for a filter applied within rows an
 * index on a narrower column already finds: a member's few vouchers or events. SQLite keeps no
 * statistics here, so without this it may seek an index on a broad column (a status, a type) that
 * matches as many filter terms and read every row of it.
 */
export const notIndexed = (column: string): RawBuilder<string> => sql<string>`(${sql.ref(column)} || '')`;
