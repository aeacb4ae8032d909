import type { Tables } from '../db/tables.js';

export interface UserView {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  balance: number;
  createdAt: string;
}

export const toUserView = (row: Tables['users']): UserView => ({
  id: row.id,
  externalId: row.external_id,
  email: row.email,
  name: row.name,
  balance: row.balance,
  createdAt: row.created_at,
});
