import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { Id, IdParams, IdempotencyHeaders, Text, Timestamp, Nullable, responses } from '../http/schemas.js';
import { Reason, Voucher } from '../vouchers/schemas.js';
import { giveVoucher } from './give-voucher.js';
import { purchaseReward } from './purchase-reward.js';
import { refundPurchase } from './refund-purchase.js';

const Purchase = Type.Object({
  id: Id('purchase'),
  userId: Id('user'),
  rewardId: Id('reward'),
  voucherId: Id('voucher'),
  pricePoints: Type.Integer(),
  status: Type.Enum(['COMPLETED', 'REFUNDED']),
  createdAt: Timestamp,
  refundedAt: Nullable(Timestamp),
});

const PurchaseResult = Type.Object({ purchase: Purchase, voucher: Voucher, balance: Type.Integer({ minimum: 0 }) });

const tags = ['purchases'];

export function registerPurchaseRoutes(app: Api, { clock, write }: Deps): void {
  app.post(
    '/v1/users/:id/purchases',
    {
      config: { roles: ['admin', 'app'] },
      schema: {
        tags,
        summary: 'A member buys a reward with points; the voucher carries its code when ACTIVE',
        params: IdParams('user'),
        headers: IdempotencyHeaders,
        body: Type.Object({ rewardId: Id('reward') }, { additionalProperties: false }),
        response: responses({ 201: PurchaseResult }),
      },
    },
    (request, reply) =>
      write(request, reply, 201, (trx) => purchaseReward(trx, clock, request.caller.programId, request.params.id, request.body.rewardId)),
  );

  app.post(
    '/v1/users/:id/gifts',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Give a member a voucher without spending points',
        params: IdParams('user'),
        headers: IdempotencyHeaders,
        body: Type.Object({ rewardId: Id('reward'), comment: Type.Optional(Text(500)) }, { additionalProperties: false }),
        response: responses({ 201: Voucher }),
      },
    },
    (request, reply) => write(request, reply, 201, (trx) => giveVoucher(trx, clock, request.caller.programId, request.params.id, request.body)),
  );

  app.post(
    '/v1/purchases/:id/refund',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Points back and the voucher VOIDED; refused once the voucher is burned',
        params: IdParams('purchase'),
        headers: IdempotencyHeaders,
        body: Reason,
        response: responses({ 200: PurchaseResult }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => refundPurchase(trx, clock, request.caller.programId, request.params.id, request.body)),
  );
}
