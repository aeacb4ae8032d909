import createClient from 'openapi-fetch';
import { ApiError } from './problem';
import type { paths } from './schema';
import { session } from './session';

/** The one client of the public API; every call carries the signed-in admin key. */
export const api = createClient<paths>({ baseUrl: window.location.origin });

api.use({
  onRequest({ request }) {
    const key = session.key();
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
  onResponse({ response }) {
    // The key was revoked (or the database replaced) while signed in.
    if (response.status === 401 && session.key()) session.signOut('The key is no longer accepted. Sign in again.');
    return response;
  },
});

type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : never;
type Get<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } } ? JsonOf<R> : never;

// Shapes named after what the API answers; all of them come from the generated schema.
export type Problem = JsonOf<paths['/v1/rewards']['post']['responses']['4XX']>;
export type Reward = Get<'/v1/rewards/{id}'>;
export type RewardInput = NonNullable<paths['/v1/rewards']['post']['requestBody']>['content']['application/json'];
export type RewardChanges = NonNullable<paths['/v1/rewards/{id}']['patch']['requestBody']>['content']['application/json'];
export type Incentive = Reward['incentives'][number];
export type Voucher = Get<'/v1/vouchers/{id}'>;
export type VoucherStatus = Voucher['status'];
export type Validation = Voucher['validations'][number];
/** A voucher as lists give it: without its validations. */
export type ListedVoucher = Omit<Voucher, 'validations'>;
export type TillRequest = NonNullable<paths['/v1/voucher-validations']['post']['requestBody']>['content']['application/json'];
export type TillAnswer = JsonOf<paths['/v1/voucher-validations']['post']['responses'][200]>;
export type LogEvent = Get<'/v1/events'>['data'][number];
export type EventType = LogEvent['type'];

/** Every event type, in the log's own order; the record makes the compiler check none is missing. */
const EVENT_TYPE_SET: Record<EventType, true> = {
  PURCHASED_REWARD: true,
  REDEEMED_VOUCHER: true,
  VOUCHER_GIVEN: true,
  BURNED_VOUCHER: true,
  VOUCHER_BURN_REVERSED: true,
  VOUCHER_VOIDED: true,
  PURCHASE_REFUNDED: true,
  POINTS_ADJUSTED: true,
  CODE_POOL_LOW: true,
  CODE_POOL_EMPTY: true,
};
export const EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as EventType[];
export type Webhook = Get<'/v1/webhooks/{id}'>;
export type Delivery = Get<'/v1/webhooks/{id}/deliveries'>['data'][number];
export type ApiKey = Get<'/v1/api-keys'>['data'][number];
export type Role = ApiKey['role'];
export type UploadReport = JsonOf<paths['/v1/rewards/{id}/codes']['post']['responses'][201]>;
export type ActivityReport = Get<'/v1/reports/activity'>;
export type ActivityQuery = paths['/v1/reports/activity']['get']['parameters']['query'];
export type ReportDay = ActivityReport['days'][number];

/** A page of any list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** The data of a call, or an ApiError with the API's problem. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    const problem = (error ?? {}) as Partial<Problem>;
    throw new ApiError({
      type: problem.type ?? 'about:blank',
      title: problem.title ?? response.statusText,
      status: problem.status ?? response.status,
      code: problem.code ?? 'INTERNAL',
      detail: problem.detail ?? `The server answered ${response.status}`,
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  }
  return data as T;
}
