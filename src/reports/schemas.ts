import { type Static, Type } from 'typebox';
import { Id, Nullable, Text, Timestamp } from '../http/schemas.js';

/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;

const LocalDate = Type.String({ format: 'date', description: 'YYYY-MM-DD, a day in `timezone`' });

export const ActivityQuery = Type.Object(
  {
    from: LocalDate,
    to: Type.String({ format: 'date', description: `YYYY-MM-DD, the last day included (at most ${MAX_REPORT_DAYS} days from \`from\`)` }),
    timezone: Type.Optional(Text(64)),
    rewardId: Type.Optional(Id('reward', 'Only this reward')),
    venue: Type.Optional(Text(128)),
  },
  { additionalProperties: false },
);
export type ActivityQuery = Static<typeof ActivityQuery>;

const Count = (description: string) => Nullable(Type.Integer({ description }));

export const Figures = Type.Object({
  issued: Count('Vouchers created, bought or given (null for a venue)'),
  burned: Type.Integer({ description: 'Burns, net of those reversed since, at the time of the burn' }),
  expired: Count('Vouchers that expired unused, at their expiry (null for a venue)'),
  voided: Count('Vouchers voided or refunded (null for a venue)'),
  redemptionRate: Nullable(Type.Number({ description: 'burned / issued; null when nothing was issued or for a venue' })),
  pointsCredited: Count('Points added by adjustments (program only)'),
  pointsDebited: Count('Points taken by adjustments (program only)'),
  pointsSpent: Count('Points spent on rewards, net of refunds (null for a venue)'),
});
export type Figures = Static<typeof Figures>;

export const ActivityReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  timezone: Type.String(),
  rewardId: Nullable(Type.String()),
  venue: Nullable(Type.String()),
  asOf: Timestamp,
  expiredBefore: Type.String({
    description: 'Expiries before this instant (the start of the current quarter hour) count as expired; later ones, as active',
  }),
  active: Count('Vouchers that can be redeemed now (null for a venue)'),
  totals: Figures,
  days: Type.Array(Type.Object({ date: Type.String(), ...Figures.properties })),
});
export type ActivityReport = Static<typeof ActivityReport>;
