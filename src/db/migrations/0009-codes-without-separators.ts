import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';

/**
 * The normal form of a code now also ignores the separators people type between groups: dashes,
 * dots, underscores, slashes and whitespace of every kind. The stored forms already had whitespace
 * taken out, upper case and O/I/L read as 0/1, so taking the separators out of them gives the new
 * form; it is done in SQL, a set at a time.
 *
 * Two codes of a program that were different may become the same (a partner's `AB-12` and `AB12`).
 * They are never merged: the migration then fails, changes nothing, and lists them with what to
 * do. So does a code that is nothing but separators, which has no normal form left.
 */

/** The characters the normal form ignores, as they were when this migration was written. */
export const SEPARATORS: readonly string[] = [
  '\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u180e',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad',
  '-', '\u058a', '\u05be', '\u1400', '\u1806', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015',
  '\u2043', '\u2212', '\u2e17', '\u2e1a', '\u2e3a', '\u2e3b', '\u2e40', '\u2e5d', '\u301c', '\u3030', '\u30a0',
  '\ufe31', '\ufe32', '\ufe58', '\ufe63', '\uff0d', '\u{10d6e}', '\u{10ead}',
  '.', '\u00b7', '\u0387', '\u2024', '\u2026', '\u2027', '\u2219', '\u22c5', '\u3002', '\u30fb',
  '\ufe52', '\uff0e', '\uff61', '\uff65',
  '_', '\u2017', '\u203f', '\u2040', '\u2054', '\ufe33', '\ufe34', '\ufe4d', '\ufe4e', '\ufe4f', '\uff3f',
  '/', '\\', '\u2044', '\u2215', '\u29f8', '\u29f9', '\uff0f', '\uff3c',
];

/** How many clashes the error lists before it only counts the rest. */
const LISTED = 20;

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * `text` with every one of SEPARATORS taken out: one translate() on PostgreSQL (a single pass over
 * the text), a replace() a character on SQLite, which has no translate().
 */
export function withoutSeparators(db: Kysely<any>, text: RawBuilder<unknown>): RawBuilder<string> {
  if (isPostgres(db)) return sql<string>`translate(${text}, ${SEPARATORS.join('')}, '')`;
  return SEPARATORS.reduce<RawBuilder<string>>((inner, char) => sql<string>`replace(${inner}, ${char}, '')`, text as RawBuilder<string>);
}

interface Holder {
  program_id: string;
  code_next: string;
  code_normal: string;
  kind: string;
  reward_id: string | null;
  voucher_id: string | null;
  upload_id: string | null;
  line: number | null;
  /** As it was given (pool and static codes) or as its voucher shows it (generated codes). */
  shown: string | null;
}

export async function up(db: Kysely<any>): Promise<void> {
  // The codes whose form changes, with their new form. Only a code with something other than
  // digits and capitals can hold a separator: a cheap test passes over the rest (generated codes of
  // the default format), and the new form is worked out once for each code that may change.
  await sql`create temporary table code_forms_next (program_id text not null, code_normal text not null, code_next text not null)`.execute(db);
  await sql`
    insert into code_forms_next (program_id, code_normal, code_next)
    select program_id, code_normal, ${withoutSeparators(db, sql.ref('code_normal'))} from voucher_codes
    where ${isPostgres(db) ? sql`code_normal ~ '[^0-9A-Z]'` : sql`code_normal glob '*[^0-9A-Z]*'`}`.execute(db);
  await sql`delete from code_forms_next where code_next = code_normal`.execute(db);
  if (isPostgres(db)) await sql`analyze code_forms_next`.execute(db);

  // A new form is claimed twice when two changed codes take it, or a changed code takes the form
  // an unchanged code already has. (A changed code's old form holds a separator, its new one none,
  // so no code can take a form another code is giving up.) An empty form is a problem of its own.
  const claims = sql`
    select program_id, code_normal, code_next from code_forms_next
    union
    select c.program_id, c.code_normal, c.code_normal
    from code_forms_next n join voucher_codes c on c.program_id = n.program_id and c.code_normal = n.code_next`;
  const problems = sql`
    select program_id, code_next from (${claims}) k group by program_id, code_next having count(*) > 1
    union
    select program_id, code_next from code_forms_next where code_next = ''`;
  const { rows: counted } = await sql<{ n: number | string }>`select count(*) as n from (${problems}) p`.execute(db);
  const total = Number(counted[0]!.n);
  if (total > 0) {
    const { rows } = await sql<Holder>`
      with listed as (select program_id, code_next from (${problems}) p order by program_id, code_next limit ${LISTED})
      select l.program_id, l.code_next, c.code_normal, c.kind, c.reward_id, c.voucher_id, c.upload_id, c.line,
        coalesce(c.code, v.code) as shown
      from listed l
      join (${claims}) k on k.program_id = l.program_id and k.code_next = l.code_next
      join voucher_codes c on c.program_id = k.program_id and c.code_normal = k.code_normal
      left join vouchers v on v.program_id = c.program_id and v.id = c.voucher_id
      order by l.program_id, l.code_next, c.code_normal`.execute(db);
    await sql`drop table code_forms_next`.execute(db);
    throw new Error(problemReport(rows, total));
  }

  await sql`
    update voucher_codes set code_normal = n.code_next
    from code_forms_next n
    where voucher_codes.program_id = n.program_id and voucher_codes.code_normal = n.code_normal`.execute(db);
  await sql`drop table code_forms_next`.execute(db);
}

/** The codes stay in the new form: which separators they had is in the codes as given, not here. */
export async function down(): Promise<void> {}

function describeHolder(holder: Holder): string {
  const spelled = holder.shown === null ? `stored as ${holder.code_normal}` : JSON.stringify(holder.shown);
  if (holder.kind === 'STATIC') return `${spelled}: the static code of reward ${holder.reward_id}`;
  if (holder.kind === 'POOL' && holder.voucher_id === null) {
    return `${spelled}: a pool code of reward ${holder.reward_id} not handed out yet (upload ${holder.upload_id}, line ${holder.line})`;
  }
  if (holder.kind === 'POOL') return `${spelled}: a pool code of reward ${holder.reward_id}, held by voucher ${holder.voucher_id}`;
  return `${spelled}: the generated code of voucher ${holder.voucher_id}`;
}

/** The error an operator reads when the migration cannot go on: every problem, and what to do. */
function problemReport(rows: Holder[], total: number): string {
  const groups = new Map<string, Holder[]>();
  for (const row of rows) {
    const key = `${row.program_id}\u0000${row.code_next}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines = [
    'Migration 0009-codes-without-separators changed nothing. From this version on, a code is compared with dashes, dots, ' +
      'underscores, slashes and whitespace ignored, and these codes would no longer be told apart or would have nothing left:',
  ];
  for (const holders of groups.values()) {
    const { program_id: programId, code_next: form } = holders[0]!;
    lines.push(
      form === ''
        ? `- program ${programId}: nothing but separators`
        : `- program ${programId}: ${holders.length} codes read as ${form}`,
    );
    for (const holder of holders) lines.push(`    ${describeHolder(holder)}`);
  }
  if (total > groups.size) lines.push(`- and ${total - groups.size} more`);
  lines.push(
    'What to do: with the version you ran before, leave each of these to one code, then start this version again. ' +
      'Give a static code\'s reward another staticCode (PATCH /v1/rewards/{id}). A pool code not handed out yet can only be ' +
      'taken out by hand, in one transaction: delete its row from voucher_codes and lower its reward\'s stock and ' +
      'pool_codes_total by one. A code a voucher holds has been seen by its member: keep it, and change or remove the others.',
  );
  return lines.join('\n');
}
