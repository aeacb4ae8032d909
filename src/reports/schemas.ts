import { type Static, Type } from 'typebox';
import { Id, Nullable, Page, PageQuery, Text, Timestamp } from '../http/schemas.js';

/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;

const Range = {
  from: Type.String({ format: 'date', description: 'YYYY-MM-DD, the first day, in `timezone`' }),
  to: Type.String({ format: 'date', description: `YYYY-MM-DD, the last day included (at most ${MAX_REPORT_DAYS} days in all)` }),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA name, such as Europe/London; default UTC' })),
};

export const ActivityQuery = Type.Object(
  { ...Range, rewardId: Type.Optional(Id('reward', 'Only this reward')), venue: Type.Optional(Text(128)) },
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

export const BreakdownQuery = Type.Object({ ...Range, ...PageQuery }, { additionalProperties: false });
export type BreakdownQuery = Static<typeof BreakdownQuery>;

export const RewardFigures = Type.Object({
  rewardId: Type.String(),
  name: Type.String(),
  active: Type.Integer({ description: 'Vouchers that can be redeemed now' }),
  totals: Figures,
});
export type RewardFigures = Static<typeof RewardFigures>;
export const RewardBreakdown = Page(RewardFigures);

export const VenueFigures = Type.Object({ venue: Type.String(), burned: Type.Integer() });
export type VenueFigures = Static<typeof VenueFigures>;
export const VenueBreakdown = Page(VenueFigures);
