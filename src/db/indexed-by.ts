import { CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely';
import { engineOf } from './engine.js';

/**
 * Runs a select with its table pinned to one index on SQLite (`INDEXED BY`), where a query can match
 * several indexes equally well on paper: SQLite keeps no statistics here, and without them it may
 * take an index that reads a whole status of a program instead of one member's or one reward's rows.
 * Pinned, a small program and a large one take the same plan, and a statement the index cannot serve
 * fails instead of scanning. PostgreSQL plans from its statistics and runs the query as written.
 */
export async function executeIndexedBy<Row>(db: Kysely<any>, query: SelectQueryBuilder<any, any, Row>, table: string, index: string): Promise<Row[]> {
  if (engineOf(db) !== 'sqlite') return query.execute();
  const compiled = query.compile();
  const from = `from "${table}"`;
  if (!compiled.sql.includes(from)) throw new Error(`executeIndexedBy: no ${from} in ${compiled.sql}`);
  const pinned = CompiledQuery.raw(compiled.sql.replace(from, `${from} indexed by "${index}"`), [...compiled.parameters]);
  return (await db.executeQuery<Row>(pinned)).rows;
}
