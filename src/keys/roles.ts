export const ROLES = ['admin', 'app', 'pos'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: established from the API key before any handler runs. */
export interface Caller {
  programId: string;
  keyId: string;
  role: Role;
  venue: string | null;
}
