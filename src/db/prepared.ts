import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import { type Engine, engineOf } from './engine.js';
import type { Db, Tables } from './tables.js';

/**
 * A query built and compiled once per engine, then run with fresh parameter values. Building and
 * compiling a Kysely query costs more than running a simple indexed one, so the hot paths (every
 * request's key check, a validation's statements, every event) use this.
 *
 * `build` is called once per engine with stand-ins for its parameters; each must reach the SQL as a
 * plain bound value (not inside a list that changes length, not turned into SQL text).
 * PostgreSQL connections prepare these statements by name, so the server plans each one once per
 * connection rather than on every call.
 */
/** SQL text of every prepared query, with a name PostgreSQL can keep its plan under. */
const statementNames = new Map<string, string>();

/** The name to prepare this SQL under on a PostgreSQL connection, if it is one of ours. */
export const statementNameOf = (sql: string): string | undefined => statementNames.get(sql);

export function prepared<A extends unknown[], R>(build: (db: Db, ...params: A) => Compilable<R>): (db: Db, ...params: A) => Promise<QueryResult<R>> {
  const compiled = new Map<Engine, { query: CompiledQuery<R>; slots: number[] }>();
  return (db, ...params) => {
    const engine = engineOf(db);
    let entry = compiled.get(engine);
    if (entry === undefined) {
      const compileWith = (mark: string) => {
        const standIns = params.map((_, i) => `\u0000${mark}-${i}\u0000`);
        const query = build(db, ...(standIns as A)).compile();
        return { query, slots: query.parameters.map((value) => standIns.indexOf(value as string)) };
      };
      // Built twice with different stand-ins: a build whose SQL depends on a value, or that uses a
      // value other than as a bound parameter, would differ (or lose a slot) and is refused.
      const { query, slots } = compileWith('a');
      const again = compileWith('b');
      const same = again.query.sql === query.sql && again.slots.every((slot, i) => slot === slots[i]);
      if (!same || params.some((_, i) => !slots.includes(i))) {
        throw new Error(`prepared query: every parameter must reach the SQL as a bound value, whatever it is: ${query.sql}`);
      }
      entry = { query, slots };
      compiled.set(engine, entry);
      if (!statementNames.has(query.sql)) statementNames.set(query.sql, `tessera_${statementNames.size + 1}`);
    }
    const { query, slots } = entry;
    const parameters = query.parameters.map((value, i) => (slots[i]! >= 0 ? params[slots[i]!] : value));
    return db.executeQuery<R>({ ...query, parameters });
  };
}

/**
 * A prepared insert of one row into `table`: `columns` names, in a fixed order, every column a row
 * carries, so the statement is the same for every row.
 */
export function preparedInsert<T extends keyof Tables, R extends Partial<Tables[T]>>(table: T, columns: readonly (keyof R & string)[]) {
  const insert = prepared((db: Db, ...values: unknown[]) =>
    db.insertInto(table).values(Object.fromEntries(columns.map((column, i) => [column, values[i]])) as never),
  );
  return (db: Db, row: R) => insert(db, ...columns.map((column) => row[column]));
}
