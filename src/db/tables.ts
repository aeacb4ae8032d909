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
  idempotency_keys: {
    program_id: string;
    key: string;
    fingerprint: string;
    status_code: number;
    response_body: string;
    created_at: string;
  };
}

/** A database handle, or a transaction: domain functions take this and work inside either. */
export type Db = Kysely<Tables>;
