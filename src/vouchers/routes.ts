import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { CodeText, Id, IdParams, IdempotencyHeaders, NoBody, Page, PageQuery, Text, responses } from '../http/schemas.js';
import { AppError } from '../errors.js';
import { decodeCursor } from '../pagination.js';
import { BARCODE_TYPES, renderBarcode } from './barcode.js';
import { getVoucher } from './get-voucher.js';
import { isVoucherPosition, listVouchers } from './list-vouchers.js';
import { lookupVoucher } from './lookup-voucher.js';
import { revealVoucher } from './reveal-voucher.js';
import { VoucherWithValidations } from '../validations/schemas.js';
import { Reason, Voucher } from './schemas.js';
import { VOUCHER_STATUSES } from './voucher.js';
import { voidVoucher } from './void-voucher.js';
import { listValidationsOf } from '../validations/list-validations.js';

const tags = ['vouchers'];
const readers = ['admin', 'app'] as const;

export function registerVoucherRoutes(app: Api, { clock, store, write }: Deps): void {
  app.get(
    '/v1/vouchers',
    {
      config: { roles: readers },
      schema: {
        tags,
        summary: 'List vouchers by member, reward or status',
        description:
          'Oldest first; with `status=ACTIVE` or `status=EXPIRED`, by expiry instead, soonest first (ACTIVE vouchers that never expire last). A cursor belongs to the order it came from.',
        querystring: Type.Object(
          { ...PageQuery, userId: Type.Optional(Id('user')), rewardId: Type.Optional(Id('reward')), status: Type.Optional(Type.Enum(VOUCHER_STATUSES)) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Page(Voucher) }),
      },
    },
    async (request) =>
      listVouchers(store.db, clock, request.caller.programId, {
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isVoucherPosition),
        userId: request.query.userId,
        rewardId: request.query.rewardId,
        status: request.query.status,
      }),
  );

  app.get(
    '/v1/vouchers/lookup',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Find a voucher by its code, in any spelling (case, spaces, dashes, dots, underscores, slashes, O/I/L)',
        querystring: Type.Object({ code: CodeText(256) }, { additionalProperties: false }),
        response: responses({ 200: Voucher }),
      },
    },
    async (request) => lookupVoucher(store.db, clock, request.caller.programId, request.query.code),
  );

  app.get(
    '/v1/vouchers/:id',
    {
      config: { roles: readers },
      schema: { tags, summary: 'One voucher with its validations', params: IdParams('voucher'), response: responses({ 200: VoucherWithValidations }) },
    },
    async (request) => {
      const { programId } = request.caller;
      const voucher = await getVoucher(store.db, clock, programId, request.params.id);
      return { ...voucher, validations: await listValidationsOf(store.db, programId, voucher.id) };
    },
  );

  app.get(
    '/v1/vouchers/:id/barcode.svg',
    {
      config: { roles: readers },
      schema: {
        tags,
        summary: 'The code as a QR code or Code 128 barcode (SVG)',
        params: IdParams('voucher'),
        querystring: Type.Object({ type: Type.Optional(Type.Enum(BARCODE_TYPES, { default: 'qrcode' })) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const voucher = await getVoucher(store.db, clock, request.caller.programId, request.params.id);
      if (voucher.code === null) throw new AppError('INVALID_STATE', 'This voucher has no code yet: reveal it first');
      return reply.type('image/svg+xml').send(renderBarcode(voucher.code, request.query.type ?? 'qrcode'));
    },
  );

  app.post(
    '/v1/vouchers/:id/reveal',
    {
      config: { roles: readers },
      schema: {
        tags,
        summary: 'TWO_STEP: make a PURCHASED voucher ACTIVE and give it its code',
        params: IdParams('voucher'),
        headers: IdempotencyHeaders,
        body: NoBody,
        response: responses({ 200: Voucher }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => revealVoucher(trx, clock, request.caller.programId, request.params.id)),
  );

  app.post(
    '/v1/vouchers/:id/void',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Cancel an unused voucher (no points back: see refund)',
        params: IdParams('voucher'),
        headers: IdempotencyHeaders,
        body: Reason,
        response: responses({ 200: Voucher }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => voidVoucher(trx, clock, request.caller.programId, request.params.id, request.body)),
  );
}
