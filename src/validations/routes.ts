import type { Api, Deps } from '../app.js';
import { IdParams, IdempotencyHeaders, responses } from '../http/schemas.js';
import { Reason } from '../vouchers/schemas.js';
import { reverseValidation } from './reverse-validation.js';
import { Reversal, ValidationAnswer, ValidationInput } from './schemas.js';
import { MissToCount, countOutside, counted, validateCode } from './validate-code.js';

const tags = ['validations'];
const tills = ['pos', 'admin'] as const;

export function registerValidationRoutes(app: Api, { clock, store, write, guessLimiter }: Deps): void {
  app.post(
    '/v1/voucher-validations',
    {
      config: { roles: tills },
      schema: {
        tags,
        summary: 'Check a code at the till and burn it (unless dryRun): "not valid" is an answer, given with 200',
        headers: IdempotencyHeaders,
        body: ValidationInput,
        response: responses({ 200: ValidationAnswer }),
      },
    },
    async (request, reply) => {
      const { caller, body } = request;
      guessLimiter.refuseIfBlocked(caller.keyId);
      if (body.dryRun === true) return validateCode(store.db, clock, guessLimiter, caller, body);
      try {
        return await write(request, reply, 200, (trx) => validateCode(trx, clock, countOutside, caller, body));
      } catch (error) {
        if (!(error instanceof MissToCount)) throw error;
      }
      // An unknown code: counted (and refused past the limit) before it is recorded.
      await guessLimiter.countMiss(caller.keyId);
      return write(request, reply, 200, (trx) => validateCode(trx, clock, counted, caller, body));
    },
  );

  app.post(
    '/v1/voucher-validations/:id/reversal',
    {
      config: { roles: tills },
      schema: {
        tags,
        summary: 'Undo a burn (the pos key that made it, or an admin): the voucher is ACTIVE again',
        params: IdParams('validation'),
        headers: IdempotencyHeaders,
        body: Reason,
        response: responses({ 200: Reversal }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => reverseValidation(trx, clock, request.caller, request.params.id, request.body)),
  );
}
