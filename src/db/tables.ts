import type { Generated, Kysely } from 'kysely';

/**
 * Table types shared by both engines. Conventions: text ids with a type prefix, ISO-8601 UTC text
 * times, integer points and minor units, JSON stored as text, and `program_id` in every key.
 */
export interface Tables {
  programs: {
    id: string;
    name: string;
    created_at: string;
  };
  api_keys: {
    program_id: string;
    id: string;
    role: string;
    name: string;
    venue: string | null;
    key_hash: string;
    key_prefix: string;
    created_at: string;
    revoked_at: string | null;
    /** After this instant the key is refused (401), as if revoked; null: never. */
    expires_at: string | null;
    /** When the key was last used, to within a minute (see note-key-use.ts). */
    last_used_at: string | null;
  };
  users: {
    program_id: string;
    id: string;
    external_id: string;
    email: string | null;
    name: string | null;
    balance: number;
    created_at: string;
  };
  ledger_entries: {
    program_id: string;
    id: string;
    user_id: string;
    kind: string;
    delta: number;
    balance_after: number;
    reason: string;
    created_at: string;
  };
  events: {
    seq: Generated<number>;
    /** The writing transaction's id on PostgreSQL (0 on SQLite): see events/list-events.ts. */
    tx_order: Generated<number>;
    program_id: string;
    id: string;
    type: string;
    user_id: string | null;
    data: string;
    occurred_at: string;
  };
  rewards: {
    program_id: string;
    id: string;
    status: string;
    name: string;
    description: string | null;
    price_points: number;
    code_type: string;
    code_format: string;
    code_length: number;
    static_code: string | null;
    redemption_flow: string;
    validity_days: number | null;
    valid_until: string | null;
    available_from: string | null;
    available_until: string | null;
    purchasable: number;
    stock: number | null;
    per_user_limit: number | null;
    /** JSON array of venue ids, or null for anywhere. */
    venues: string | null;
    low_stock_threshold: number | null;
    /** JSON array of incentives. */
    incentives: string;
    created_at: string;
    updated_at: string;
    /** POOL: codes ever added by completed uploads, and codes handed to vouchers. */
    pool_codes_total: number;
    pool_codes_issued: number;
  };
  reward_holdings: {
    program_id: string;
    reward_id: string;
    user_id: string;
    count: number;
  };
  purchases: {
    program_id: string;
    id: string;
    user_id: string;
    reward_id: string;
    voucher_id: string;
    price_points: number;
    status: string;
    created_at: string;
    refunded_at: string | null;
  };
  vouchers: {
    program_id: string;
    id: string;
    user_id: string;
    reward_id: string;
    purchase_id: string | null;
    status: string;
    code: string | null;
    activated_at: string | null;
    expires_at: string | null;
    validity_ends_at: string | null;
    burned_at: string | null;
    voided_at: string | null;
    gift_comment: string | null;
    took_stock: number;
    /** The validation that burned it, while it is BURNED. */
    burn_validation_id: string | null;
    created_at: string;
  };
  validations: {
    program_id: string;
    id: string;
    voucher_id: string | null;
    code: string;
    valid: number;
    reason: string | null;
    burned: number;
    venue: string | null;
    reference: string | null;
    key_id: string;
    discount: string | null;
    response: string | null;
    reversed_at: string | null;
    reversal_reason: string | null;
    reversed_by_key_id: string | null;
    created_at: string;
  };
  /** Every code of a program in normal form, whatever its kind: the primary key keeps them unique. */
  voucher_codes: {
    program_id: string;
    code_normal: string;
    kind: Generated<CodeKind>;
    /** The voucher holding it; null for a pool code not handed out yet, and for a static code. */
    voucher_id: string | null;
    /** POOL and STATIC: the reward it belongs to and the code exactly as it was given. */
    reward_id: string | null;
    code: string | null;
    /** POOL: the upload it came in, and its line there (codes are handed out in this order). */
    upload_id: string | null;
    line: number | null;
  };
  code_uploads: {
    program_id: string;
    id: string;
    reward_id: string;
    /** PENDING while it arrives (its codes are held but not handed out), then COMPLETE. */
    status: string;
    received: number;
    added: number;
    key_id: string | null;
    created_at: string;
    /** When its last batch arrived: a PENDING upload silent for long is removed. */
    heartbeat_at: string;
  };
  webhooks: {
    program_id: string;
    id: string;
    url: string;
    event_types: string;
    description: string | null;
    secret: string;
    after_tx_order: number;
    after_seq: number;
    created_at: string;
    deleted_at: string | null;
  };
  webhook_deliveries: {
    program_id: string;
    id: string;
    webhook_id: string;
    event_id: string;
    event_type: string;
    payload: string;
    status: string;
    attempts: number;
    next_attempt_at: string;
    lease_until: string | null;
    lease_token: string | null;
    last_status_code: number | null;
    last_error: string | null;
    created_at: string;
    finished_at: string | null;
  };
  webhook_attempts: {
    program_id: string;
    id: string;
    delivery_id: string;
    attempt: number;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    created_at: string;
  };
  /** Running sums for the reports: see reports/tallies.ts. */
  report_tallies: {
    program_id: string;
    scope: string;
    bucket: string;
    slot: number;
    issued: number;
    burned: number;
    voided: number;
    expiring: number;
    points_credited: number;
    points_debited: number;
    points_spent: number;
  };
  /** Every venue the tallies count burns for. */
  report_venues: {
    program_id: string;
    venue: string;
  };
  idempotency_keys: {
    program_id: string;
    key: string;
    fingerprint: string;
    status_code: number;
    response_body: string;
    created_at: string;
  };
}

export type CodeKind = 'GENERATED' | 'POOL' | 'STATIC';

/** A database handle, or a transaction: domain functions take this and work inside either. */
export type Db = Kysely<Tables>;
