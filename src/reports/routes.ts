import type { stringify } from 'csv-stringify/sync';
import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { responses } from '../http/schemas.js';
import { loadWhenNeeded } from '../load-when-needed.js';
import { decodeCursor, isIdOf } from '../pagination.js';
import { activityReport } from './activity-report.js';
import { rewardBreakdown, venueBreakdown } from './breakdowns.js';
import { ActivityQuery, ActivityReport, BreakdownQuery, Figures, RewardBreakdown, VenueBreakdown } from './schemas.js';

const tags = ['reports'];
const CSV_COLUMNS = ['date', ...Object.keys(Figures.properties)];
const isVenue = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 128;

export function registerReportRoutes(app: Api, { store, clock }: Deps): void {
  app.get(
    '/v1/reports/activity',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Vouchers issued, burned, expired and voided, the redemption rate and points, by day in a timezone, for the program, one reward or one venue. Exact at any size',
        querystring: ActivityQuery,
        response: responses({ 200: ActivityReport }),
      },
    },
    async (request) => activityReport(store.db, clock, request.caller.programId, request.query),
  );

  app.get(
    '/v1/reports/activity.csv',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'The same report as CSV: one line a day (empty cells where a figure does not apply)',
        querystring: ActivityQuery,
        produces: ['text/csv'],
        response: responses({ 200: Type.String({ description: 'text/csv' }) }),
      },
    },
    async (request, reply) => {
      const report = await activityReport(store.db, clock, request.caller.programId, request.query);
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="activity-${report.from}-${report.to}.csv"`);
      return loadWhenNeeded<{ stringify: typeof stringify }>('csv-stringify/sync').stringify(report.days, { header: true, columns: CSV_COLUMNS });
    },
  );

  app.get(
    '/v1/reports/rewards',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: "The catalogue, a page at a time, each reward with its figures over the range and its vouchers redeemable now",
        querystring: BreakdownQuery,
        response: responses({ 200: RewardBreakdown }),
      },
    },
    async (request) =>
      rewardBreakdown(store.db, clock, request.caller.programId, {
        ...request.query,
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isIdOf('reward')),
      }),
  );

  app.get(
    '/v1/reports/venues',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Every venue burns were made at, a page at a time by name, with its burns over the range',
        querystring: BreakdownQuery,
        response: responses({ 200: VenueBreakdown }),
      },
    },
    async (request) =>
      venueBreakdown(store.db, clock, request.caller.programId, {
        ...request.query,
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isVenue),
      }),
  );
}
