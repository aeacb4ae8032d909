// The history of one large program, made to look like the server's own rows: ids with their type
// prefix in time order, ISO times, vouchers of several rewards in every status with their purchases,
// codes, validations, ledger entries and events. Everything derives from a seeded generator and a
// row's number, so each table's rows are produced lazily, one table at a time, without holding
// millions of strings.
//
// The event log covers roughly the last 90 days: older history is there as rows (as if imported)
// without its events, so the number of events can be set apart from the number of vouchers. Events
// the voucher history leaves room for are points credits, each with its ledger entry.
import { createHash } from 'node:crypto';
import { normalizeCode } from '../src/codes/normalize-code.js';
import { ID_PREFIXES, type IdKind } from '../src/ids.js';

export interface Sizes {
  members: number;
  vouchers: number;
  events: number;
}

/** Rows for one table, produced when `rows()` is iterated; `count` is how many it yields. */
export interface TableRows {
  table: string;
  columns: string[];
  count: number;
  rows: () => Iterable<unknown[]>;
}

/** What the benchmark asks about: real ids and codes of the generated program. */
export interface Samples {
  programId: string;
  rewardIds: string[];
  poolRewardId: string;
  buyRewardId: string;
  venue: string;
  users: { id: string; externalId: string }[];
  voucherIds: string[];
  /** Codes of ACTIVE vouchers, valid anywhere, for at least two more days: dry runs and fresh burns. */
  dryRunCodes: string[];
  burnCodes: string[];
}

export interface GeneratedProgram {
  tables: TableRows[];
  samples: Samples;
  /** How many days the event log reaches back. */
  logDays: number;
}

const DAY = 86_400_000;
const VENUES = Array.from({ length: 40 }, (_, i) => `store-${String(i + 1).padStart(3, '0')}`);

interface RewardPlan {
  name: string;
  price: number;
  /** Share of purchases (gifts all go to the gift-only reward). */
  weight: number;
  format: string;
  incentives: unknown[];
  validityDays?: number;
  /** Its vouchers expired this many days ago, and it was archived then. */
  endedDaysAgo?: number;
  availableFromDaysAgo?: number;
  twoStep?: boolean;
  venues?: string[];
  /** A POOL reward: its codes (a share of all vouchers) in one upload, and its low-stock threshold. */
  pool?: { prefix: string; share: number; lowStockShare: number };
  giftOnly?: boolean;
}

const PLANS: RewardPlan[] = [
  { name: 'Free coffee', price: 100, weight: 30, format: 'CAFE-{code}', validityDays: 30, incentives: [{ type: 'PERCENTAGE', value: 100, productSku: 'COFFEE' }] },
  { name: 'Pastry of the day', price: 150, weight: 15, format: 'PASTRY-{code}', validityDays: 60, incentives: [{ type: 'PRICE_OVERRIDE', value: 0, currency: 'GBP', productSku: 'PASTRY' }] },
  { name: 'Lunch deal', price: 400, weight: 10, format: 'LUNCH-{code}', incentives: [{ type: 'AMOUNT_OFF', value: 300, currency: 'GBP', minSpend: 800 }] },
  { name: '10% off your basket', price: 250, weight: 10, format: '{code}', validityDays: 14, incentives: [{ type: 'PERCENTAGE', value: 10, maxDiscount: 1000 }] },
  { name: 'Summer special', price: 200, weight: 8, format: 'SUMMER-{code}', endedDaysAgo: 40, incentives: [{ type: 'AMOUNT_OFF', value: 200, currency: 'GBP' }] },
  { name: 'Reserve tasting', price: 800, weight: 5, format: 'TASTE-{code}', validityDays: 90, twoStep: true, incentives: [{ type: 'PERCENTAGE', value: 100, productSku: 'TASTING' }] },
  { name: 'City store treat', price: 120, weight: 6, format: 'CITY-{code}', venues: VENUES.slice(0, 3), incentives: [{ type: 'PERCENTAGE', value: 50 }] },
  { name: 'Partner cinema ticket', price: 600, weight: 10, format: '{code}', pool: { prefix: 'CINEMA-', share: 0.15, lowStockShare: 0.01 }, incentives: [] },
  { name: 'Festival pass', price: 900, weight: 3, format: '{code}', availableFromDaysAgo: 60, pool: { prefix: 'FEST-', share: 0.002, lowStockShare: 0.1 }, incentives: [] },
  { name: 'Birthday cake', price: 0, weight: 0, format: 'CAKE-{code}', validityDays: 30, giftOnly: true, incentives: [{ type: 'PERCENTAGE', value: 100, productSku: 'CAKE' }] },
];

// ---------------------------------------------------------------------------------------------
// Ids and codes: ULIDs whose random part is a keyed permutation of the row's number (so two rows
// never share one) followed by noise, and codes that are a permutation of the voucher's number.

const LOWER = '0123456789abcdefghjkmnpqrstvwxyz';
// Every pair of symbols (10 bits), so a number is written a pair at a time.
const PAIRS = Array.from({ length: 1024 }, (_, n) => LOWER[n >> 5]! + LOWER[n & 31]!);
const UPPER_PAIRS = PAIRS.map((pair) => pair.toUpperCase());

/** A number below 2^40 as 8 symbols. */
function base32x8(value: number, pairs = PAIRS): string {
  const high = Math.floor(value / 0x100000);
  const low = value % 0x100000;
  return pairs[high >> 10]! + pairs[high & 1023]! + pairs[low >> 10]! + pairs[low & 1023]!;
}

/** A time in milliseconds (below 2^48) as a ULID's 10 symbols. */
function base32x10(ms: number): string {
  const high = Math.floor(ms / 0x40000000);
  const low = ms % 0x40000000;
  return PAIRS[high >> 10]! + PAIRS[high & 1023]! + PAIRS[low >> 20]! + PAIRS[(low >> 10) & 1023]! + PAIRS[low & 1023]!;
}

/** Murmur3's finaliser: a bijection of 32-bit integers that scatters its input. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A keyed permutation of 0 … 2^40 − 1 (a four-round Feistel network on 20-bit halves). */
function permute40(n: number, key: number): number {
  let left = Math.floor(n / 0x100000);
  let right = n % 0x100000;
  for (let round = 0; round < 4; round++) {
    const next = left ^ (mix(right ^ (key + round * 0x3c6ef372)) & 0xfffff);
    left = right;
    right = next;
  }
  return left * 0x100000 + right;
}

const keyOf = (text: string) => mix([...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
const ID_KEYS = Object.fromEntries(Object.keys(ID_PREFIXES).map((kind) => [kind, keyOf(kind)])) as Record<IdKind, number>;

/** The id of the `n`th row of a kind, made at `ms`: newId's shape and order, unique by `n`. */
function idAt(kind: IdKind, ms: number, n: number): string {
  const key = ID_KEYS[kind];
  const noise = mix(n ^ key) * 256 + (mix(n + key) & 255);
  return `${ID_PREFIXES[kind]}_${base32x10(Math.floor(ms))}${base32x8(permute40(n, key))}${base32x8(noise)}`;
}

// Date's own toISOString costs more than the rest of a row: the day is formatted once, the time of day by table.
const TWO = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const days = new Map<number, string>();
function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let date = days.get(day);
  if (date === undefined) days.set(day, (date = new Date(day * DAY).toISOString().slice(0, 11)));
  const t = Math.floor(ms) - day * DAY;
  const seconds = Math.floor(t / 1000);
  return `${date}${TWO[Math.floor(seconds / 3600)]}:${TWO[Math.floor(seconds / 60) % 60]}:${TWO[seconds % 60]}.${THREE[t % 1000]}Z`;
}
const isoOrNull = (ms: number) => (Number.isNaN(ms) ? null : iso(ms));

/** A small seeded generator (mulberry32): the same sizes and seed give the same program. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------

const GIFT = 1;
const REFUND = 2;
const REFERENCE = 4;

// Event kinds, in the order the server writes them within one instant.
const EVENT_TYPES = [
  'CODE_POOL_LOW', 'CODE_POOL_EMPTY', 'PURCHASED_REWARD', 'VOUCHER_GIVEN', 'REDEEMED_VOUCHER', 'BURNED_VOUCHER',
  'VOUCHER_BURN_REVERSED', 'PURCHASE_REFUNDED', 'VOUCHER_VOIDED', 'POINTS_ADJUSTED',
] as const;
const kindOf = (type: (typeof EVENT_TYPES)[number]) => EVENT_TYPES.indexOf(type);

/** The numbers 0 … n − 1 that have a time, sorted by it, then by `tiebreak`. */
function inTimeOrder(time: Float64Array, n: number, tiebreak: (i: number) => number): Uint32Array {
  const order = new Uint32Array(n).map((_, i) => i).filter((i) => !Number.isNaN(time[i]!));
  return order.sort((a, b) => time[a]! - time[b]! || tiebreak(a) - tiebreak(b));
}

export function generateProgram(sizes: Sizes, seed = 1): GeneratedProgram {
  const random = seeded(seed);
  const { members: M, vouchers: V } = sizes;
  const now = Date.now() - 60_000;
  // About 2.6 events per voucher: the vouchers' history is spread so that the log's 80% share of it
  // covers about 90 days.
  const spanMs = 90 * DAY * Math.max(1, (V * 2.6) / (0.8 * sizes.events));
  const start = now - spanMs;
  const memberFrom = start - 730 * DAY;
  const memberCreated = (u: number) => memberFrom + ((u + 0.5) / M) * (start - DAY - memberFrom);
  const programId = idAt('program', memberFrom - 30 * DAY, 0);
  // The ids every table refers to are made once.
  const userIds = Array.from({ length: M }, (_, u) => idAt('user', memberCreated(u), u));
  const userId = (u: number) => userIds[u]!;
  const externalId = (u: number) => `member-${String(u + 1).padStart(8, '0')}`;

  // The catalogue.
  const R = PLANS.length;
  const rewards = PLANS.map((plan, r) => {
    const created = memberFrom - (20 - r) * DAY;
    const ended = plan.endedDaysAgo === undefined ? NaN : now - plan.endedDaysAgo * DAY;
    const availableFrom = plan.availableFromDaysAgo === undefined ? NaN : now - plan.availableFromDaysAgo * DAY;
    const codes = plan.pool ? Math.max(50, Math.round(plan.pool.share * V)) : 0;
    const lowStock = plan.pool ? Math.round(plan.pool.lowStockShare * codes) : null;
    return { plan, id: idAt('reward', created, r), created, ended, availableFrom, codes, lowStock, issued: 0, upload: idAt('upload', created + DAY, r) };
  });
  const totalWeight = PLANS.reduce((sum, p) => sum + p.weight, 0);
  const giftReward = PLANS.findIndex((p) => p.giftOnly);
  const poolVoucher = rewards.map((r) => new Uint32Array(r.codes)); // line - 1 → voucher number + 1
  const poolEvents: { at: number; reward: number; remaining: number; kind: number }[] = [];
  const available = (r: number, at: number) => {
    const reward = rewards[r]!;
    return !(at >= reward.ended) && !(at < reward.availableFrom) && (reward.codes === 0 || reward.issued < reward.codes);
  };
  const pickReward = (at: number) => {
    let x = random() * totalWeight;
    let r = 0;
    while (r < R - 1 && x >= PLANS[r]!.weight) x -= PLANS[r++]!.weight;
    return available(r, at) ? r : 0;
  };
  const pickUser = () => Math.floor(M * random() ** 1.5); // older members are more active

  // Every voucher's life, as instants (NaN: did not happen).
  const created = new Float64Array(V);
  const activated = new Float64Array(V).fill(NaN);
  const expires = new Float64Array(V).fill(NaN);
  const burned = new Float64Array(V).fill(NaN);
  const voided = new Float64Array(V).fill(NaN);
  const reversed = new Float64Array(V).fill(NaN);
  const owner = new Uint32Array(V);
  const rewardOf = new Uint8Array(V);
  const venueOf = new Uint8Array(V);
  const flags = new Uint8Array(V);
  const poolLine = new Uint32Array(V);
  const spent = new Float64Array(M); // points each member needs: purchases and debits
  const holdings = new Int32Array(M * R); // 0: no row; k + 1: a row counting k
  const expo = (mean: number) => -Math.log(1 - random()) * mean;

  for (let i = 0; i < V; i++) {
    const at = start + ((i + random()) / V) * spanMs;
    created[i] = at;
    const gift = random() < 0.05;
    const r = gift ? giftReward : pickReward(at);
    const { plan } = rewards[r]!;
    const u = pickUser();
    owner[i] = u;
    rewardOf[i] = r;
    flags[i] = gift ? GIFT : 0;
    if (!gift) spent[u]! += plan.price;
    const h = u * R + r;
    holdings[h] = holdings[h] === 0 ? 2 : holdings[h]! + 1;
    if (plan.pool) {
      const reward = rewards[r]!;
      poolVoucher[r]![reward.issued] = i + 1;
      poolLine[i] = ++reward.issued;
      const remaining = reward.codes - reward.issued;
      if (remaining === reward.lowStock && remaining > 0) poolEvents.push({ at, reward: r, remaining, kind: kindOf('CODE_POOL_LOW') });
      if (remaining === 0) poolEvents.push({ at, reward: r, remaining, kind: kindOf('CODE_POOL_EMPTY') });
    }
    const revealAt = plan.twoStep ? (random() < 0.6 ? at + random() * 3 * DAY : NaN) : at;
    if (revealAt < now) {
      activated[i] = revealAt;
      const validityEnd = plan.validityDays === undefined ? NaN : revealAt + plan.validityDays * DAY;
      expires[i] = Number.isNaN(validityEnd) ? rewards[r]!.ended : Math.min(validityEnd, rewards[r]!.ended || Infinity);
      const end = Math.min(Number.isNaN(expires[i]!) ? now : expires[i]!, now);
      const outcome = random();
      const burnAt = revealAt + expo(6 * DAY);
      if (outcome < 0.6 && burnAt < end) {
        burned[i] = burnAt;
        venueOf[i] = plan.venues ? Math.floor(random() * plan.venues.length) : Math.floor(random() * VENUES.length);
        if (random() < 0.5) flags[i]! |= REFERENCE;
        if (random() < 0.003) reversed[i] = Math.min(burnAt + random() * 2 * 3_600_000, now);
      } else if (outcome >= 0.6 && outcome < 0.66) {
        voided[i] = revealAt + random() * (end - revealAt);
        if (!gift && random() < 0.4) flags[i]! |= REFUND;
      }
    } else if (random() < 0.1) {
      voided[i] = at + random() * (now - at);
      if (random() < 0.5) flags[i]! |= REFUND;
    }
    if (flags[i]! & REFUND) holdings[h]! -= 1; // a refund gives the allowance back
  }

  // The log starts where 80% of the events are left for the vouchers' history (or at its start).
  const lifecycle: number[] = [];
  const eachEvent = (i: number, emit: (at: number, kind: number) => void) => {
    emit(created[i]!, kindOf(flags[i]! & GIFT ? 'VOUCHER_GIVEN' : 'PURCHASED_REWARD'));
    if (!Number.isNaN(activated[i]!)) emit(activated[i]!, kindOf('REDEEMED_VOUCHER'));
    if (!Number.isNaN(burned[i]!)) emit(burned[i]!, kindOf('BURNED_VOUCHER'));
    if (!Number.isNaN(reversed[i]!)) emit(reversed[i]!, kindOf('VOUCHER_BURN_REVERSED'));
    if (flags[i]! & REFUND) emit(voided[i]!, kindOf('PURCHASE_REFUNDED'));
    if (!Number.isNaN(voided[i]!)) emit(voided[i]!, kindOf('VOUCHER_VOIDED'));
  };
  for (let i = 0; i < V; i++) eachEvent(i, (at) => lifecycle.push(at));
  for (const p of poolEvents) lifecycle.push(p.at);
  const history = Float64Array.from(lifecycle).sort();
  const target = Math.floor(0.8 * sizes.events);
  const logFrom = history.length <= target ? start : history[history.length - target]!;
  const inLog = history.length - lowerBound(history, logFrom);
  const C = Math.max(0, sizes.events - inLog);

  // Points credits (and a few debits) by hand, in the log's time.
  const adjustAt = new Float64Array(C);
  const adjustUser = new Uint32Array(C);
  const adjustDelta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    adjustAt[c] = logFrom + random() * (now - logFrom);
    const u = pickUser();
    adjustUser[c] = u;
    const debit = random() < 0.03;
    adjustDelta[c] = (debit ? -1 : 1) * 10 * (1 + Math.floor(random() * (debit ? 10 : 50)));
    if (debit) spent[u]! -= adjustDelta[c]!;
  }

  // The ledger: an opening balance when the member joined (enough for everything they spend),
  // purchase debits, refund credits and adjustments, replayed in time order for balance_after.
  const opening = (u: number) => spent[u]! + 50 + 10 * (mix(u) % 50);
  const F = M + 2 * V + C;
  const factAt = new Float64Array(F).fill(NaN);
  for (let u = 0; u < M; u++) factAt[u] = memberCreated(u);
  for (let i = 0; i < V; i++) {
    if (!(flags[i]! & GIFT)) factAt[M + i] = created[i]!;
    if (flags[i]! & REFUND) factAt[M + V + i] = voided[i]!;
  }
  factAt.set(adjustAt, M + 2 * V);
  const factUser = (f: number) => (f < M ? f : f < M + 2 * V ? owner[(f - M) % V]! : adjustUser[f - M - 2 * V]!);
  const factDelta = (f: number) => {
    if (f < M) return opening(f);
    if (f < M + V) return -PLANS[rewardOf[f - M]!]!.price;
    if (f < M + 2 * V) return PLANS[rewardOf[f - M - V]!]!.price;
    return adjustDelta[f - M - 2 * V]!;
  };
  const facts = inTimeOrder(factAt, F, (f) => f);
  const balance = new Float64Array(M);
  const balanceAfter = new Float64Array(F);
  for (const f of facts) balanceAfter[f] = balance[factUser(f)]! += factDelta(f);
  const entryId = (f: number) => idAt('ledgerEntry', factAt[f]!, f);

  // The log itself, in the order the server would have written it.
  const E = inLog + C;
  const eventAt = new Float64Array(E);
  const eventKind = new Uint8Array(E);
  const eventRef = new Uint32Array(E);
  let e = 0;
  const logEvent = (at: number, kind: number, ref: number) => {
    if (at < logFrom) return;
    eventAt[e] = at;
    eventKind[e] = kind;
    eventRef[e++] = ref;
  };
  for (let i = 0; i < V; i++) eachEvent(i, (at, kind) => logEvent(at, kind, i));
  poolEvents.forEach((p, n) => logEvent(p.at, p.kind, n));
  for (let c = 0; c < C; c++) logEvent(adjustAt[c]!, kindOf('POINTS_ADJUSTED'), c);
  const events = inTimeOrder(eventAt, e, (n) => eventKind[n]!);

  // Per voucher, what its rows say.
  const voucherIds = Array.from({ length: V }, (_, i) => idAt('voucher', created[i]!, i));
  const voucherId = (i: number) => voucherIds[i]!;
  const purchaseId = (i: number) => (flags[i]! & GIFT ? null : idAt('purchase', created[i]!, i));
  const validationId = (i: number) => idAt('validation', burned[i]!, i);
  const poolCode = (r: number, line: number) => `${PLANS[r]!.pool!.prefix}${UPPER_PAIRS[mix(line ^ r) & 1023]}${base32x8(permute40(line, r), UPPER_PAIRS)}`;
  const codeOf = (i: number) => {
    if (Number.isNaN(activated[i]!)) return null;
    const r = rewardOf[i]!;
    return PLANS[r]!.pool ? poolCode(r, poolLine[i]!) : PLANS[r]!.format.replace('{code}', base32x8(permute40(i, 0x5eed), UPPER_PAIRS));
  };
  const isBurned = (i: number) => !Number.isNaN(burned[i]!) && Number.isNaN(reversed[i]!);
  const statusOf = (i: number) =>
    isBurned(i) ? 'BURNED' : !Number.isNaN(voided[i]!) ? 'VOIDED' : !Number.isNaN(activated[i]!) ? 'ACTIVE' : 'PURCHASED';
  const venueName = (i: number) => (PLANS[rewardOf[i]!]!.venues ?? VENUES)[venueOf[i]!]!;
  const keyId = (venue: number) => idAt('apiKey', memberFrom - 10 * DAY, venue);
  const burnKey = (i: number) => keyId(VENUES.indexOf(venueName(i)));
  const reference = (i: number) => (flags[i]! & REFERENCE ? `till-${venueOf[i]! % 4}/tx-${i}` : null);
  const validityEnd = (i: number) => {
    const days = PLANS[rewardOf[i]!]!.validityDays;
    return days === undefined || Number.isNaN(activated[i]!) ? null : iso(activated[i]! + days * DAY);
  };
  const voucherView = (i: number, status: string) => ({
    id: voucherId(i), userId: userId(owner[i]!), rewardId: rewards[rewardOf[i]!]!.id, purchaseId: purchaseId(i), status, code: codeOf(i),
    activatedAt: isoOrNull(activated[i]!), expiresAt: isoOrNull(expires[i]!), burnedAt: iso(burned[i]!), voidedAt: null, createdAt: iso(created[i]!),
  });

  const eventRow = (n: number): unknown[] => {
    const kind = eventKind[n]!;
    const at = eventAt[n]!;
    const ref = eventRef[n]!;
    const type = EVENT_TYPES[kind]!;
    const id = idAt('event', at, ref * 16 + kind);
    if (type === 'POINTS_ADJUSTED') {
      const f = M + 2 * V + ref;
      const data = { entryId: entryId(f), delta: adjustDelta[ref], reason: adjustDelta[ref]! > 0 ? 'Visit reward' : 'Correction', balance: balanceAfter[f] };
      return [programId, id, type, userId(adjustUser[ref]!), JSON.stringify(data), iso(at)];
    }
    if (type === 'CODE_POOL_LOW' || type === 'CODE_POOL_EMPTY') {
      const p = poolEvents[ref]!;
      const data = { rewardId: rewards[p.reward]!.id, rewardName: PLANS[p.reward]!.name, remaining: p.remaining, lowStockThreshold: rewards[p.reward]!.lowStock };
      return [programId, id, type, null, JSON.stringify(data), iso(at)];
    }
    const i = ref;
    const voucher = voucherId(i);
    const reward = rewards[rewardOf[i]!]!.id;
    const price = PLANS[rewardOf[i]!]!.price;
    // Object literals of one shape each (no spreading): JSON.stringify is several times faster on them.
    let data: object;
    switch (type) {
      case 'PURCHASED_REWARD':
        data = { purchaseId: purchaseId(i), voucherId: voucher, rewardId: reward, pricePoints: price, balance: balanceAfter[M + i] };
        break;
      case 'VOUCHER_GIVEN':
        data = { voucherId: voucher, rewardId: reward, comment: 'Happy birthday!' };
        break;
      case 'REDEEMED_VOUCHER':
        data = { voucherId: voucher, rewardId: reward, purchaseId: purchaseId(i), code: codeOf(i), expiresAt: isoOrNull(expires[i]!) };
        break;
      case 'BURNED_VOUCHER':
        data = { voucherId: voucher, rewardId: reward, validationId: validationId(i), code: codeOf(i), venue: venueName(i), reference: reference(i) };
        break;
      case 'VOUCHER_BURN_REVERSED':
        data = { voucherId: voucher, rewardId: reward, validationId: validationId(i), reason: 'Wrong item' };
        break;
      case 'PURCHASE_REFUNDED':
        data = { purchaseId: purchaseId(i), voucherId: voucher, rewardId: reward, pricePoints: price, balance: balanceAfter[M + V + i], reason: null };
        break;
      default:
        data = { voucherId: voucher, rewardId: reward, reason: flags[i]! & REFUND ? 'refunded' : 'Customer complaint' };
    }
    return [programId, id, type, userId(owner[i]!), JSON.stringify(data), iso(at)];
  };

  const count = (test: (i: number) => boolean) => {
    let n = 0;
    for (let i = 0; i < V; i++) if (test(i)) n++;
    return n;
  };
  const holdingRows = holdings.reduce((n, h) => n + (h > 0 ? 1 : 0), 0);
  const poolCodes = rewards.reduce((n, r) => n + r.codes, 0);
  const generated = count((i) => !Number.isNaN(activated[i]!) && !PLANS[rewardOf[i]!]!.pool);

  const tables: TableRows[] = [
    {
      table: 'programs', columns: ['id', 'name', 'created_at'], count: 1,
      rows: () => [[programId, 'Scale benchmark program', iso(memberFrom - 30 * DAY)]],
    },
    {
      table: 'api_keys', columns: ['program_id', 'id', 'role', 'name', 'venue', 'key_hash', 'key_prefix', 'created_at', 'revoked_at'], count: VENUES.length,
      rows: () => VENUES.map((venue, v) => {
        const secret = `tsk_scale_${programId}_${v}`;
        return [programId, keyId(v), 'pos', `Till at ${venue}`, venue, createHash('sha256').update(secret).digest('hex'), secret.slice(0, 10), iso(memberFrom - 10 * DAY), null];
      }),
    },
    {
      table: 'rewards',
      columns: ['program_id', 'id', 'status', 'name', 'description', 'price_points', 'code_type', 'code_format', 'code_length', 'static_code', 'redemption_flow',
        'validity_days', 'valid_until', 'available_from', 'available_until', 'purchasable', 'stock', 'per_user_limit', 'venues', 'low_stock_threshold', 'incentives', 'created_at', 'updated_at'],
      count: R,
      rows: () => rewards.map(({ plan, id, created: at, ended, availableFrom, codes, lowStock, issued }) => [
        programId, id, Number.isNaN(ended) ? 'ACTIVE' : 'ARCHIVED', plan.name, null, plan.price, plan.pool ? 'POOL' : 'ONE_TIME', plan.format, 8, null,
        plan.twoStep ? 'TWO_STEP' : 'ONE_STEP', plan.validityDays ?? null, isoOrNull(ended), isoOrNull(availableFrom), isoOrNull(ended), plan.giftOnly ? 0 : 1,
        plan.pool ? codes - issued : null, null, plan.venues ? JSON.stringify(plan.venues) : null, lowStock, JSON.stringify(plan.incentives),
        iso(at), iso(Number.isNaN(ended) ? at : ended),
      ]),
    },
    {
      table: 'code_uploads', columns: ['program_id', 'id', 'reward_id', 'status', 'received', 'added', 'key_id', 'created_at', 'heartbeat_at'],
      count: rewards.filter((r) => r.codes > 0).length,
      rows: () => rewards.filter((r) => r.codes > 0).map((r) => {
        const at = iso(Number.isNaN(r.availableFrom) ? r.created + DAY : r.availableFrom - DAY);
        return [programId, r.upload, r.id, 'COMPLETE', r.codes, r.codes, null, at, at];
      }),
    },
    {
      table: 'users', columns: ['program_id', 'id', 'external_id', 'email', 'name', 'balance', 'created_at'], count: M,
      rows: function* () {
        for (let u = 0; u < M; u++) {
          yield [programId, userId(u), externalId(u), u % 10 < 7 ? `member${u + 1}@example.com` : null, `Member ${u + 1}`, balance[u], iso(memberCreated(u))];
        }
      },
    },
    {
      table: 'vouchers',
      columns: ['program_id', 'id', 'user_id', 'reward_id', 'purchase_id', 'status', 'code', 'activated_at', 'expires_at', 'validity_ends_at',
        'burned_at', 'voided_at', 'gift_comment', 'took_stock', 'burn_validation_id', 'created_at'],
      count: V,
      rows: function* () {
        for (let i = 0; i < V; i++) {
          const burnedNow = isBurned(i);
          yield [programId, voucherId(i), userId(owner[i]!), rewards[rewardOf[i]!]!.id, purchaseId(i), statusOf(i), codeOf(i), isoOrNull(activated[i]!),
            isoOrNull(expires[i]!), validityEnd(i), burnedNow ? iso(burned[i]!) : null, isoOrNull(voided[i]!), flags[i]! & GIFT ? 'Happy birthday!' : null,
            0, burnedNow ? validationId(i) : null, iso(created[i]!)];
        }
      },
    },
    {
      table: 'voucher_codes', columns: ['program_id', 'code_normal', 'voucher_id', 'reward_id', 'code', 'upload_id', 'line', 'kind'], count: generated + poolCodes,
      rows: function* () {
        for (let i = 0; i < V; i++) {
          if (!Number.isNaN(activated[i]!) && !PLANS[rewardOf[i]!]!.pool) yield [programId, normalizeCode(codeOf(i)!), voucherId(i), null, null, null, null, 'GENERATED'];
        }
        for (const [r, reward] of rewards.entries()) {
          for (let line = 1; line <= reward.codes; line++) {
            const holder = poolVoucher[r]![line - 1]!;
            const code = poolCode(r, line);
            yield [programId, normalizeCode(code), holder === 0 ? null : voucherId(holder - 1), reward.id, code, reward.upload, line, 'POOL'];
          }
        }
      },
    },
    {
      table: 'purchases', columns: ['program_id', 'id', 'user_id', 'reward_id', 'voucher_id', 'price_points', 'status', 'created_at', 'refunded_at'],
      count: count((i) => !(flags[i]! & GIFT)),
      rows: function* () {
        for (let i = 0; i < V; i++) {
          if (flags[i]! & GIFT) continue;
          const refunded = flags[i]! & REFUND;
          yield [programId, purchaseId(i), userId(owner[i]!), rewards[rewardOf[i]!]!.id, voucherId(i), PLANS[rewardOf[i]!]!.price,
            refunded ? 'REFUNDED' : 'COMPLETED', iso(created[i]!), refunded ? iso(voided[i]!) : null];
        }
      },
    },
    {
      table: 'validations',
      columns: ['program_id', 'id', 'voucher_id', 'code', 'valid', 'reason', 'burned', 'venue', 'reference', 'key_id', 'discount', 'response',
        'reversed_at', 'reversal_reason', 'reversed_by_key_id', 'created_at'],
      count: count((i) => !Number.isNaN(burned[i]!)),
      rows: function* () {
        for (let i = 0; i < V; i++) {
          if (Number.isNaN(burned[i]!)) continue;
          const r = rewardOf[i]!;
          const ref = reference(i);
          const answer = ref && {
            valid: true, reason: null, burned: true, replayed: false, validation: { id: validationId(i), createdAt: iso(burned[i]!) },
            voucher: voucherView(i, 'BURNED'), reward: { id: rewards[r]!.id, name: PLANS[r]!.name }, incentives: PLANS[r]!.incentives,
          };
          const undone = !Number.isNaN(reversed[i]!);
          yield [programId, validationId(i), voucherId(i), codeOf(i), 1, null, 1, venueName(i), ref, burnKey(i), null, answer ? JSON.stringify(answer) : null,
            undone ? iso(reversed[i]!) : null, undone ? 'Wrong item' : null, undone ? burnKey(i) : null, iso(burned[i]!)];
        }
      },
    },
    {
      table: 'reward_holdings', columns: ['program_id', 'reward_id', 'user_id', 'count'], count: holdingRows,
      rows: function* () {
        for (let r = 0; r < R; r++) {
          for (let u = 0; u < M; u++) if (holdings[u * R + r]! > 0) yield [programId, rewards[r]!.id, userId(u), holdings[u * R + r]! - 1];
        }
      },
    },
    {
      table: 'ledger_entries', columns: ['program_id', 'id', 'user_id', 'kind', 'delta', 'balance_after', 'reason', 'created_at'], count: facts.length,
      rows: function* () {
        for (const f of facts) {
          const u = factUser(f);
          let kind = 'ADJUSTMENT';
          let reason = f < M ? 'Opening balance' : adjustDelta[f - M - 2 * V]! > 0 ? 'Visit reward' : 'Correction';
          if (f >= M && f < M + 2 * V) {
            const i = (f - M) % V;
            kind = f < M + V ? 'PURCHASE' : 'REFUND';
            reason = kind === 'PURCHASE' ? `Purchase of "${PLANS[rewardOf[i]!]!.name}" (${purchaseId(i)})` : `Refund of ${purchaseId(i)}`;
          }
          yield [programId, entryId(f), userId(u), kind, factDelta(f), balanceAfter[f], reason, iso(factAt[f]!)];
        }
      },
    },
    {
      table: 'events', columns: ['program_id', 'id', 'type', 'user_id', 'data', 'occurred_at'], count: events.length,
      rows: function* () {
        for (const n of events) yield eventRow(n);
      },
    },
  ];

  // Samples for the requests: members and vouchers met through random vouchers, live codes.
  const pick = (n: number, test: (i: number) => boolean) => {
    const found = new Set<number>();
    for (let tries = 0; found.size < n && tries < n * 1000; tries++) {
      const i = Math.floor(random() * V);
      if (test(i)) found.add(i);
    }
    return [...found];
  };
  const live = (i: number) =>
    statusOf(i) === 'ACTIVE' && !PLANS[rewardOf[i]!]!.venues && !(expires[i]! < now + 2 * DAY);
  const liveCodes = pick(250, live).map((i) => codeOf(i)!);
  const sampledUsers = [...new Set(pick(50, () => true).map((i) => owner[i]!))];
  return {
    tables,
    logDays: (now - logFrom) / DAY,
    samples: {
      programId,
      rewardIds: rewards.map((r) => r.id),
      poolRewardId: rewards[PLANS.findIndex((p) => p.pool)]!.id,
      buyRewardId: rewards[0]!.id,
      venue: VENUES[3]!,
      users: sampledUsers.map((u) => ({ id: userId(u), externalId: externalId(u) })),
      voucherIds: pick(50, () => true).map(voucherId),
      dryRunCodes: liveCodes.slice(0, 50),
      burnCodes: liveCodes.slice(50),
    },
  };
}

/** The first position in sorted `values` holding at least `value`. */
function lowerBound(values: Float64Array, value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
