import type { Api, Deps } from '../app.js';
import { IdParams, IdempotencyHeaders, responses } from '../http/schemas.js';
import { Reason } from '../vouchers/schemas.js';
import { reverseValidation } from './reverse-validation.js';
import { Reversal, ValidationAnswer, ValidationInput } from './schemas.js';
import { validateCode } from './validate-code.js';

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
      guessLimiter.refuseIfBlocked(request.caller.keyId);
      const validate = (db: typeof store.db) => validateCode(db, clock, guessLimiter, request.caller, request.body);
      if (request.body.dryRun === true) return validate(store.db);
      return write(request, reply, 200, validate);
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
