import type SQLite from 'better-sqlite3';
import type pg from 'pg';

/**
 * Reads the plan each engine makes for a statement and names what makes its cost grow with a
 * program's data: reading a whole table, sorting rows the index could have given in order, and
 * seeking an index on fewer columns than the statement compares by equality (so that rows are read
 * and thrown away one by one).
 */

/** A statement as the store ran it. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

export interface Verdict {
  /** The plan, one node a line, indented under its parent. */
  plan: string;
  /** Empty when the plan is a seek in order. */
  problems: string[];
}

export interface PlanChecker {
  /** The verdict on one statement, or null for a statement that is not checked. */
  check(statement: Statement): Promise<Verdict | null>;
  close(): Promise<void>;
}

/** Tables that hold no program's rows, or that the API does not own: their plans are not checked. */
const NOT_PROGRAM_DATA = /^(programs|kysely_migration.*|guess_counters|sqlite_.*|pg_.*)$/;

/**
 * A member's own rows are few: a seek that reaches them by `user_id` may filter further among them.
 * The one column for which a filter after the seek is allowed.
 */
const FEW_ROWS_EACH = 'user_id';

/** Reads and changes with a condition; inserts (and anything else) are not checked. */
const CHECKED_STATEMENT = /^\s*(select|with|update|delete)\b/i;

const KEYWORDS = new Set(
  'where on join inner left right full cross natural order group limit offset set using union except intersect returning window having values and or for as'.split(' '),
);

/** Every table a statement names, by the name its plan shows (its alias, when it has one). */
export function sourcesOf(sql: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const [, table, alias] of sql.matchAll(/\b(?:from|join|update)\s+"?([A-Za-z_]\w*)"?(?:\s+(?:as\s+)?"?([A-Za-z_]\w*)"?)?/gi)) {
    const name = alias !== undefined && !KEYWORDS.has(alias.toLowerCase()) ? alias : table!;
    sources.set(name, table!);
    sources.set(table!, table!);
  }
  return sources;
}

/**
 * The text with every parenthesised group that offers alternatives (`a = ? or b = ?`) blanked out:
 * an equality inside one is not a condition every row must meet, so no index can be asked for it.
 */
export function withoutAlternatives(text: string): string {
  const chars = [...text];
  const open: number[] = [];
  const topLevel = (inner: string) => {
    let depth = 0;
    let out = '';
    for (const c of inner) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (depth === 0) out += c;
    }
    return out;
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') open.push(i);
    else if (text[i] === ')') {
      const start = open.pop();
      if (start !== undefined && /\bor\b/i.test(topLevel(text.slice(start + 1, i)))) chars.fill(' ', start, i + 1);
    }
  }
  const masked = chars.join('');
  return /\bor\b/i.test(topLevel(masked)) ? '' : masked;
}

/**
 * Columns compared by equality to a bound value or a literal (`=`, or `in` a list of them), each
 * with the qualifier written before it (null when unqualified). Understands Kysely's quoted SQL
 * (`"e"."type" = ?`), raw SQL and PostgreSQL's plan conditions (`(type = 'X'::text)`, `(e.type = $1)`,
 * `(id = ANY ('{…}'::text[]))`).
 */
export function equalitiesIn(text: string): { qualifier: string | null; column: string }[] {
  const found: { qualifier: string | null; column: string }[] = [];
  const value = String.raw`(?:\?|\$\d+|'(?:[^']|'')*'|-?\d+(?:\.\d+)?\b)`;
  const pattern = new RegExp(
    String.raw`(?:"?([A-Za-z_]\w*)"?\.)?"?([A-Za-z_]\w*)"?\)?\s*(?:=\s*(?:ANY\s*\(\s*)?${value}|\bin\s*\(\s*${value})`,
    'gi',
  );
  for (const [, qualifier, column] of withoutAlternatives(text).matchAll(pattern)) found.push({ qualifier: qualifier ?? null, column: column! });
  return found;
}

/**
 * The statement with only its conditions left: the select list, the order and an UPDATE's SET list
 * are blanked (`case when "status" = 'ACTIVE'` in an ORDER BY, `"status" = ?` in a SET, are no
 * conditions). Parenthesised groups inside them (subqueries) are kept.
 */
export function conditionsOf(sql: string): string {
  // Each character's depth in parentheses; a group's own parentheses count as inside it.
  const depthAt: number[] = [];
  let depth = 0;
  for (const c of sql) {
    if (c === '(') depth++;
    depthAt.push(depth);
    if (c === ')') depth--;
  }
  const chars = [...sql];
  const clauses: [start: RegExp, end: RegExp][] = [
    [/\bselect\b/gi, /\bfrom\b/iy],
    [/\border\s+by\b/gi, /\b(?:limit|offset|for)\b/iy],
    [/\bset\b/gi, /\b(?:where|from|returning)\b/iy],
  ];
  for (const [start, end] of clauses) {
    for (const match of sql.matchAll(start)) {
      const level = depthAt[match.index]!;
      for (let i = match.index + match[0].length; i < sql.length && depthAt[i]! >= level; i++) {
        if (depthAt[i] !== level) continue;
        end.lastIndex = i;
        if (sql[i] === ')' || end.test(sql)) break;
        chars[i] = ' ';
      }
    }
  }
  return chars.join('');
}

interface IndexShape {
  keyColumns: string[];
  unique: boolean;
  /** Columns a partial index's WHERE pins down: a seek on it needs no condition on them. */
  predicateColumns: string[];
}

const scanProblem = (what: string) => `reads every row of ${what}: no index serves its conditions`;
const SORTS = 'sorts the rows it read';
const sortProblem = (what: string) => `${SORTS} (${what}): no index gives them in the order asked`;
/** A seek on some of the columns compared by equality, with the index that would seek them all. */
const filterProblem = (table: string, seek: string, soughtEqual: string[], leftOver: string[], detail: string) =>
  `${seek}, then filters on ${leftOver.join(', ')} row by row: an index on ${table} starting with ` +
  `(${[...new Set([...soughtEqual, ...leftOver])].join(', ')}) in any order, then the columns of the order asked, would seek them (${detail})`;

/** SQLite: `EXPLAIN QUERY PLAN` on a connection to the same file. */
export function sqlitePlanChecker(database: SQLite.Database): PlanChecker {
  const tables = new Set(
    (database.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[])
      .map((row) => row.name)
      .filter((name) => !NOT_PROGRAM_DATA.test(name)),
  );
  const columns = new Map<string, Set<string>>();
  const columnsOf = (table: string) => {
    let known = columns.get(table);
    if (known === undefined) {
      known = new Set((database.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name));
      columns.set(table, known);
    }
    return known;
  };
  const indexShape = (table: string, index: string): IndexShape => {
    const listed = (database.pragma(`index_list("${table}")`) as { name: string; unique: number }[]).find((i) => i.name === index);
    const keyColumns = (database.pragma(`index_info("${index}")`) as { name: string | null }[]).map((c) => c.name ?? 'rowid');
    const definition = (database.prepare(`select sql from sqlite_master where type = 'index' and name = ?`).get(index) as { sql: string | null } | undefined)?.sql;
    const predicate = definition ? /\bwhere\b([\s\S]*)$/i.exec(definition)?.[1] : undefined;
    const predicateColumns = predicate ? [...columnsOf(table)].filter((column) => new RegExp(`\\b${column}\\b`).test(predicate)) : [];
    return { keyColumns, unique: listed?.unique === 1, predicateColumns };
  };

  return {
    async check({ sql, parameters }) {
      if (!CHECKED_STATEMENT.test(sql)) return null;
      const sources = sourcesOf(sql);
      if (![...sources.values()].some((table) => tables.has(table))) return null;
      const rows = database.prepare(`explain query plan ${sql}`).all(...(parameters as unknown[])) as { id: number; parent: number; detail: string }[];
      const depth = new Map<number, number>([[0, -1]]);
      const lines = rows.map((row) => {
        const level = (depth.get(row.parent) ?? -1) + 1;
        depth.set(row.id, level);
        return `${'  '.repeat(level)}${row.detail}`;
      });
      const equalities = equalitiesIn(conditionsOf(sql));
      const problems: string[] = [];
      for (const { detail } of rows) {
        if (/USE TEMP B-TREE FOR .*ORDER BY/.test(detail)) {
          problems.push(sortProblem(detail));
          continue;
        }
        const access = /^(SCAN|SEARCH) (\S+)(?: USING (.*))?$/.exec(detail);
        if (access === null) continue;
        const [, how, name, using] = access as unknown as [string, string, string, string | undefined];
        const table = sources.get(name) ?? name;
        if (!tables.has(table)) continue;
        if (how === 'SCAN') {
          problems.push(scanProblem(`${table} (${detail})`));
          continue;
        }
        if (using?.includes('AUTOMATIC')) {
          problems.push(`builds a temporary index on ${table} for this statement alone (${detail})`);
          continue;
        }
        const seek = /^(?:COVERING )?INDEX (\S+) \((.*)\)$|^(INTEGER )?PRIMARY KEY \((.*)\)$/.exec(using ?? '');
        if (seek === null) continue;
        const [, index, indexConstraints, rowid, keyConstraints] = seek;
        const constraints = (indexConstraints ?? keyConstraints)!.split(' AND ').map((c) => /^(\w+)(=|>|<|>=|<=)/.exec(c));
        const sought = constraints.map((c) => c?.[1]).filter((c): c is string => c !== undefined);
        const soughtEqual = constraints.filter((c) => c?.[2] === '=').map((c) => c![1]!);
        const shape: IndexShape = index ? indexShape(table, index) : { keyColumns: ['rowid'], unique: rowid !== undefined, predicateColumns: [] };
        const covered = new Set([...sought, ...shape.predicateColumns]);
        const compared = new Set(
          equalities
            .filter(({ qualifier, column }) => (qualifier === null ? columnsOf(table).has(column) : qualifier === name || qualifier === table) && columnsOf(table).has(column))
            .map(({ column }) => column),
        );
        const leftOver = [...compared].filter((column) => !covered.has(column));
        if (leftOver.length === 0) continue;
        // At most one row: a unique index sought by equality on every one of its columns.
        if (shape.unique && shape.keyColumns.every((column) => soughtEqual.includes(column))) continue;
        if (sought.includes(FEW_ROWS_EACH)) continue;
        problems.push(filterProblem(table, `seeks ${table} on (${sought.join(', ')}) with ${index ?? 'its primary key'}`, soughtEqual, leftOver, detail));
      }
      return { plan: lines.join('\n'), problems };
    },
    close: async () => {
      database.close();
    },
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  'Sort Key'?: string[];
  Plans?: PlanNode[];
}

/**
 * PostgreSQL: `EXPLAIN (FORMAT JSON)` with the statement's own values, in a transaction rolled back,
 * with sequential scans and sorts made a last resort: the test's tables are small, and on small
 * tables the planner rightly prefers them, which would hide a missing index.
 */
export async function postgresPlanChecker(client: pg.Client): Promise<PlanChecker> {
  const { rows: tableRows } = await client.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
  );
  const tables = new Set(tableRows.map((row) => row.name).filter((name) => !NOT_PROGRAM_DATA.test(name)));
  const { rows: indexRows } = await client.query<{ name: string; unique: boolean; columns: string[] }>(
    `select i.relname as name, x.indisunique as unique,
            array(select a.attname::text from unnest(x.indkey::int2[]) with ordinality as k(attnum, n)
                  join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
                  where k.n <= x.indnkeyatts order by k.n) as columns
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_namespace n on n.oid = i.relnamespace
      where n.nspname = current_schema()`,
  );
  const indexes = new Map(indexRows.map((row) => [row.name, row]));
  // Indexes that back a primary key or unique constraint are dropped with their constraint.
  const { rows: constraintRows } = await client.query<{ index: string; table: string }>(
    `select i.relname as index, t.relname as table
       from pg_constraint c join pg_class i on i.oid = c.conindid join pg_class t on t.oid = c.conrelid
      where c.contype in ('p', 'u') and t.relnamespace = current_schema()::regnamespace`,
  );
  const constraints = new Map(constraintRows.map((row) => [row.index, row]));

  const lineOf = (node: PlanNode) => {
    let line = node['Node Type'];
    if (node['Index Name']) line += ` using ${node['Index Name']}`;
    if (node['Relation Name']) line += ` on ${node['Relation Name']}${node.Alias && node.Alias !== node['Relation Name'] ? ` ${node.Alias}` : ''}`;
    for (const key of ['Index Cond', 'Recheck Cond', 'Filter'] as const) if (node[key]) line += `  ${key}: ${node[key]}`;
    if (node['Sort Key']) line += `  Sort Key: ${node['Sort Key'].join(', ')}`;
    return line;
  };
  const describe = (node: PlanNode, level = 0): string[] => [`${'  '.repeat(level)}${lineOf(node)}`, ...(node.Plans ?? []).flatMap((child) => describe(child, level + 1))];
  const bitmapSeeksUnder = (node: PlanNode): PlanNode[] =>
    (node.Plans ?? []).flatMap((child) => (child['Node Type'] === 'Bitmap Index Scan' ? [child] : bitmapSeeksUnder(child)));

  /** How a node reads a program table through an index, if it does. */
  const seekOf = (node: PlanNode) => {
    const type = node['Node Type'];
    const table = node['Relation Name'];
    if (table === undefined || !tables.has(table)) return null;
    const seeks = type === 'Bitmap Heap Scan' ? bitmapSeeksUnder(node) : type === 'Index Scan' || type === 'Index Only Scan' ? [node] : [];
    if (seeks.length === 0) return null;
    const conditions = seeks.map((seek) => seek['Index Cond'] ?? '').join(' AND ');
    // Index conditions put the index's column on the left: `(user_id = u.id)` seeks user_id too.
    const soughtEqual = [...conditions.matchAll(/([A-Za-z_]\w*)\)?\s*=(?!\s*ANY)/g)].map((m) => m[1]!);
    const index = seeks.length === 1 ? indexes.get(seeks[0]!['Index Name'] ?? '') : undefined;
    const filteredEqual = new Set(equalitiesIn(node.Filter ?? '').map((e) => e.column));
    const leading = index?.columns ?? [];
    const seekable = leading.slice(0, [...leading, ''].findIndex((column) => !soughtEqual.includes(column) && !filteredEqual.has(column)));
    return {
      table,
      indexNames: seeks.map((seek) => seek['Index Name']!),
      conditions,
      sought: new Set(conditions.match(/[A-Za-z_]\w*/g) ?? []),
      soughtEqual,
      // At most one row: a unique index sought by equality on every one of its columns.
      oneRow: index?.unique === true && index.columns.every((column) => soughtEqual.includes(column)),
      /**
       * The index in use could seek this column: it comes next after the columns sought by
       * equality (say `scope = ANY (…)` on (program_id, scope, bucket)). On a test's few rows the
       * planner may filter rather than seek it; with a program's numbers it seeks. No index is missing.
       */
      couldSeek: (column: string) => seekable.includes(column),
    };
  };

  /** A problem, and the indexes whose use caused it (none for a scan or a sort). */
  interface Problem {
    text: string;
    indexes: string[];
  }
  const judge = (node: PlanNode, problems: Problem[]) => {
    const type = node['Node Type'];
    const table = node['Relation Name'];
    // Sorting at most one row costs nothing.
    const input = node.Plans?.[0];
    if ((type === 'Sort' || type === 'Incremental Sort') && !(input && seekOf(input)?.oneRow)) {
      problems.push({ text: sortProblem(`${type} by ${node['Sort Key']?.join(', ')}`), indexes: [] });
    }
    if (table !== undefined && tables.has(table) && type === 'Seq Scan') problems.push({ text: scanProblem(`${table} (${lineOf(node)})`), indexes: [] });
    const seek = seekOf(node);
    if (seek !== null && seek.conditions.trim() === '') {
      problems.push({ text: `reads the whole of ${seek.indexNames.join(', ')} on ${seek.table}: no condition to seek it by (${lineOf(node)})`, indexes: seek.indexNames });
    } else if (seek !== null) {
      const leftOver = [...new Set(equalitiesIn(node.Filter ?? '').map((e) => e.column))].filter(
        (column) => !seek.sought.has(column) && !seek.couldSeek(column),
      );
      if (leftOver.length > 0 && !seek.oneRow && !seek.soughtEqual.includes(FEW_ROWS_EACH)) {
        problems.push({
          text: filterProblem(seek.table, `seeks ${seek.table} with ${seek.indexNames.join(', ')} on ${seek.conditions}`, seek.soughtEqual, leftOver, lineOf(node)),
          indexes: seek.indexNames,
        });
      }
    }
    for (const child of node.Plans ?? []) judge(child, problems);
  };

  /**
   * The plan, and whether a plan without problems exists. PostgreSQL costs an index by its size as
   * much as by what it seeks, and on a test's few rows every seek is estimated at one row: it may
   * pick a smaller index and filter after it, where with a program's real numbers it would take
   * the index that seeks every condition. So each index a plan filters after is dropped (inside the
   * transaction, which is rolled back) and the statement planned again, until the plan is clean or
   * nothing is left to try.
   */
  const plansOf = async ({ sql, parameters }: Statement, sortsAllowed: boolean): Promise<{ first: Verdict; clean: Verdict | null }> => {
    await client.query('begin');
    try {
      await client.query('set local enable_seqscan = off');
      if (!sortsAllowed) await client.query('set local enable_sort = off');
      let first: Verdict | undefined;
      for (let attempt = 0; attempt < 6; attempt++) {
        const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (format json) ${sql}`, parameters as unknown[]);
        const root = rows[0]!['QUERY PLAN'][0]!.Plan;
        const problems: Problem[] = [];
        judge(root, problems);
        const verdict = { plan: describe(root).join('\n'), problems: problems.map((p) => p.text) };
        first ??= verdict;
        if (problems.length === 0) return { first, clean: verdict };
        const culprits = [...new Set(problems.flatMap((p) => p.indexes))];
        if (culprits.length === 0) break;
        for (const index of culprits) {
          const constraint = constraints.get(index);
          await client.query(constraint ? `alter table "${constraint.table}" drop constraint "${index}" cascade` : `drop index "${index}"`);
        }
      }
      return { first: first!, clean: null };
    } finally {
      await client.query('rollback');
    }
  };

  return {
    async check(statement) {
      if (!CHECKED_STATEMENT.test(statement.sql)) return null;
      if (![...sourcesOf(statement.sql).values()].some((table) => tables.has(table))) return null;
      const strict = await plansOf(statement, false);
      if (strict.clean) return strict.clean;
      // Sorting at most one row costs nothing, yet with sorts off the planner avoids even that, say
      // by reading a program's members in id order rather than seeking the one with an externalId.
      const relaxed = await plansOf(statement, true);
      if (relaxed.clean) return relaxed.clean;
      // When no plan avoids a sort, turning sorts off only skews the rest of the plan (its join
      // order, say, between costs that all carry the penalty), and on a few rows the planner's own
      // choice wavers: the sorts are the problem named, beside the plan it prefers.
      const sorts = strict.first.problems.filter((problem) => problem.startsWith(SORTS));
      return sorts.length > 0 ? { plan: relaxed.first.plan, problems: sorts } : strict.first;
    },
    close: () => client.end(),
  };
}
