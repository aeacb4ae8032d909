import { stringify } from 'csv-stringify/sync';
import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { responses } from '../http/schemas.js';
import { activityReport } from './activity-report.js';
import { ActivityQuery, ActivityReport, Figures } from './schemas.js';

const tags = ['reports'];
const CSV_COLUMNS = ['date', ...Object.keys(Figures.properties)];

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
      const scope = report.rewardId ?? report.venue ?? 'program';
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="activity-${report.from}-${report.to}.csv"`)
        .header('x-report-scope', scope);
      return stringify(report.days, { header: true, columns: CSV_COLUMNS });
    },
  );
}
