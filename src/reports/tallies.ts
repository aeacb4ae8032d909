import { sql } from 'kysely';
import { engineOf } from '../db/engine.js';
import { prepared } from '../db/prepared.js';
import type { Db, Tables } from '../db/tables.js';

/**
 * The reports' running sums, kept by the writes that change what they count, in the same
 * transaction. Each change is counted for the program, for its reward and (burns only) for its
 * venue, three times over: in the quarter hour of UTC it belongs to, in its hour and in its UTC day
 * (the tiers). Every timezone's day is a whole number of quarter hours, so any day is a sum of
 * buckets; reads take the coarsest tier that fits (see tally-pieces.ts), so a 30-day report reads
 * about 30 day rows in UTC, 720 hour rows in a zone a whole number of hours away, never more than
 * its quarter hours.
 */
export interface TallyChange {
  /** The instant counted; its quarter hour is the bucket. */
  at: string;
  rewardId: string | null;
  venue?: string | null;
  issued?: number;
  burned?: number;
  voided?: number;
  /** +1 when a voucher becomes ACTIVE, -1 when it stops being ACTIVE, at the quarter hour it expires in. */
  expiring?: number;
  pointsCredited?: number;
  pointsDebited?: number;
  pointsSpent?: number;
}

/** The bucket of vouchers that never expire: after every real one. */
const NEVER_BUCKET = '9999-12-31T23:45';

/** The quarter hour an ISO-8601 UTC time falls in, as bucket text ('YYYY-MM-DDTHH:MM'); null is never. */
export function bucketOf(iso: string | null): string {
  if (iso === null) return NEVER_BUCKET;
  const minute = Number(iso.slice(14, 16));
  return `${iso.slice(0, 14)}${String(minute - (minute % 15)).padStart(2, '0')}`;
}

/** How finely a row counts: a quarter hour, an hour or a UTC day. */
export type Tier = 'quarter' | 'hour' | 'day';

/** A tier's rows of a scope live under their own scope text, so each tier of a scope is one run of the key. */
export const tierScope = (tier: Tier, scope: string): string => (tier === 'quarter' ? scope : tier === 'hour' ? `H:${scope}` : `D:${scope}`);

/** The bucket of a quarter-hour bucket's hour or day: its first instant, in the same text shape. */
export const tierBucket = (tier: Tier, quarter: string): string =>
  tier === 'quarter' ? quarter : tier === 'hour' ? `${quarter.slice(0, 14)}00` : `${quarter.slice(0, 11)}00:00`;

export const TIERS: Tier[] = ['quarter', 'hour', 'day'];

const METRICS = {
  issued: 'issued',
  burned: 'burned',
  voided: 'voided',
  expiring: 'expiring',
  pointsCredited: 'points_credited',
  pointsDebited: 'points_debited',
  pointsSpent: 'points_spent',
} as const;
type Metric = keyof typeof METRICS;
const METRIC_NAMES = Object.keys(METRICS) as Metric[];

export const scopeOfReward = (rewardId: string) => `r:${rewardId}`;
export const scopeOfVenue = (venue: string) => `v:${venue}`;
export const PROGRAM_SCOPE = '';

// PostgreSQL: concurrent writers of one bucket (every burn of a busy program) spread over this many
// rows instead of queueing on one row lock, each connection on its own (so every statement of one
// transaction takes the same slot, and transactions never cross each other's locks). SQLite has one
// writer at a time and uses one row.
const POSTGRES_SLOTS = 8;

/** Adds the changes to the tallies, in one statement (and one more to list a burn's venue). */
export async function addTallies(db: Db, programId: string, changes: TallyChange[]): Promise<void> {
  for (const change of changes) if (change.venue != null) await noteVenue(db, programId, change.venue);
  const rows = new Map<string, Omit<Tables['report_tallies'], 'slot'>>();
  for (const change of changes) {
    const bucket = bucketOf(change.at);
    const scopes = [PROGRAM_SCOPE];
    if (change.rewardId !== null) scopes.push(scopeOfReward(change.rewardId));
    if (change.venue != null) scopes.push(scopeOfVenue(change.venue));
    for (const tier of TIERS) for (const scope of scopes) add(tierScope(tier, scope), tierBucket(tier, bucket), change);
  }
  function add(scope: string, bucket: string, change: TallyChange) {
    const key = `${bucket}\u0000${scope}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { program_id: programId, scope, bucket, issued: 0, burned: 0, voided: 0, expiring: 0, points_credited: 0, points_debited: 0, points_spent: 0 };
      rows.set(key, row);
    }
    for (const metric of METRIC_NAMES) row[METRICS[metric]] += change[metric] ?? 0;
  }
  // Rows in one order, earlier buckets first, so two transactions never take the same rows' locks in
  // opposite orders: a transaction that adds twice (a purchase: issued now, then live until expiry)
  // also goes from earlier buckets to later ones (an hour or a day begins no later than its quarters,
  // and the second add's new rows all begin after the first's).
  const ordered = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  for (let i = 0; i < ordered.length; i += MAX_ROWS_A_STATEMENT) {
    const chunk = ordered.slice(i, i + MAX_ROWS_A_STATEMENT);
    await upsertOf(chunk.length)(db, ...chunk.flatMap((row) => COLUMNS.map((column) => row[column])));
  }
}

// A burn touches fifteen rows (five in each tier); larger batches (moving a reward's expiries) go in pieces.
const MAX_ROWS_A_STATEMENT = 16;

/** Lists the venue for the reports (a no-op once it is listed; it takes no lock then). */
const noteVenue = prepared((db: Db, programId: string, venue: string) =>
  db.insertInto('report_venues').values({ program_id: programId, venue }).onConflict((oc) => oc.doNothing()),
);

const COLUMNS = ['program_id', 'scope', 'bucket', ...Object.values(METRICS)] as const;
const upserts = new Map<number, ReturnType<typeof buildUpsert>>();

function upsertOf(rowCount: number) {
  let upsert = upserts.get(rowCount);
  if (upsert === undefined) upserts.set(rowCount, (upsert = buildUpsert(rowCount)));
  return upsert;
}

const slotOf = (db: Db) => (engineOf(db) === 'postgres' ? sql<number>`pg_backend_pid() % ${sql.lit(POSTGRES_SLOTS)}` : 0);

/** One prepared statement for each number of rows. */
function buildUpsert(rowCount: number) {
  return prepared((db: Db, ...values: unknown[]) =>
    db
      .insertInto('report_tallies')
      .values(
        Array.from({ length: rowCount }, (_, r) =>
          Object.fromEntries([...COLUMNS.map((column, i) => [column, values[r * COLUMNS.length + i]]), ['slot', slotOf(db)]]),
        ) as never,
      )
      .onConflict((oc) =>
        oc
          .columns(['program_id', 'scope', 'bucket', 'slot'])
          .doUpdateSet((eb) => Object.fromEntries(Object.values(METRICS).map((m) => [m, eb(`report_tallies.${m}`, '+', eb.ref(`excluded.${m}`))])) as never),
      ),
  );
}

type VoucherFacts = Pick<Tables['vouchers'], 'reward_id' | 'expires_at'>;

/** A voucher created, by purchase (with its price) or gift. */
export const issuedTally = (voucher: Pick<Tables['vouchers'], 'reward_id' | 'created_at'>, pricePoints: number): TallyChange => ({
  at: voucher.created_at,
  rewardId: voucher.reward_id,
  issued: 1,
  pointsSpent: pricePoints,
});

/** A voucher becoming ACTIVE (activated, or its burn reversed) counts as live until it expires. */
export const activeTally = (voucher: VoucherFacts, delta: 1 | -1): TallyChange => ({
  at: voucher.expires_at ?? NEVER_BUCKET,
  rewardId: voucher.reward_id,
  expiring: delta,
});

export const burnTallies = (voucher: VoucherFacts, venue: string | null, at: string): TallyChange[] => [
  { at, rewardId: voucher.reward_id, venue, burned: 1 },
  activeTally(voucher, -1),
];

/** A burn undone: it no longer counts where it was counted, and the voucher is live again. */
export const reversalTallies = (voucher: VoucherFacts & { burned_at: string }, venue: string | null): TallyChange[] => [
  { at: voucher.burned_at, rewardId: voucher.reward_id, venue, burned: -1 },
  activeTally(voucher, 1),
];

/** A voucher voided; one that was ACTIVE (it had been activated: BURNED cannot be voided) stops counting as live. */
export const voidTallies = (voucher: VoucherFacts & Pick<Tables['vouchers'], 'activated_at'>, at: string): TallyChange[] => [
  { at, rewardId: voucher.reward_id, voided: 1 },
  ...(voucher.activated_at !== null ? [activeTally(voucher, -1)] : []),
];

/** Points moved by an administrator or an app (not purchases or refunds). */
export const adjustmentTally = (delta: number, at: string): TallyChange => ({
  at,
  rewardId: null,
  ...(delta > 0 ? { pointsCredited: delta } : { pointsDebited: -delta }),
});

/** The bucket of an ISO time column, in SQL (the same text as `bucketOf`; null is never). */
export const bucketSql = (column: 'expires_at') =>
  sql<string>`coalesce(substr(${sql.ref(column)}, 1, 14) || case
    when substr(${sql.ref(column)}, 15, 2) < '15' then '00'
    when substr(${sql.ref(column)}, 15, 2) < '30' then '15'
    when substr(${sql.ref(column)}, 15, 2) < '45' then '30'
    else '45' end, ${NEVER_BUCKET})`;
