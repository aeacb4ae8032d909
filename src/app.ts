import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Store } from './db/store.js';
import { fieldError } from './errors.js';
import { registerEventRoutes } from './events/routes.js';
import { installCallerCheck } from './http/caller.js';
import { registerConsole } from './http/console.js';
import { installJsonParser } from './http/json-parser.js';
import { installMetrics } from './http/metrics.js';
import { installOpenApi } from './http/openapi.js';
import { installProblemHandlers, sendProblem } from './http/problem-handler.js';
import { NoQuery } from './http/schemas.js';
import { validatorCompiler } from './http/validation.js';
import { type Write, makeWrite } from './http/write.js';
import { registerApiKeyRoutes } from './keys/routes.js';
import { registerLedgerRoutes } from './ledger/routes.js';
import { registerOpsRoutes } from './ops/routes.js';
import type { UploadSettings } from './pools/upload-settings.js';
import { registerPoolRoutes } from './pools/routes.js';
import { registerPurchaseRoutes } from './purchases/routes.js';
import { registerReportRoutes } from './reports/routes.js';
import { registerRewardRoutes } from './rewards/routes.js';
import { registerVoucherRoutes } from './vouchers/routes.js';
import { registerUserRoutes } from './users/routes.js';
import type { GuessLimiter } from './validations/guess-limiter.js';
import { registerValidationRoutes } from './validations/routes.js';
import { registerWebhookRoutes } from './webhooks/routes.js';
import type { WebhookSettings } from './webhooks/webhook.js';
import { VERSION } from './version.js';

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What the routes are given: storage, time, and the one way to write. */
export interface Deps {
  store: Store;
  clock: Clock;
  write: Write;
  guessLimiter: GuessLimiter;
  webhooks: WebhookSettings;
  uploads: UploadSettings;
}

export interface AppOptions {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'bodyLimitBytes' | 'uploads' | 'trustProxy' | 'logLevel' | 'webhooks'>;
  /** Counts unknown codes per key; closed with the app. */
  guessLimiter: GuessLimiter;
  /** Collect process-wide metrics (CPU, memory, event loop): once per process. */
  processMetrics?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(options: AppOptions): Promise<Api> {
  const { store, clock, config } = options;
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    // A caller's request id is kept when it is reasonable, so logs can be joined across systems.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
    // Errors Fastify raises before routing (a malformed URL, say) are problems like any other.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(reply, { code: 'VALIDATION_FAILED', detail: error.message, errors: [fieldError('/url', `is not valid: ${error.message}`)] }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  installJsonParser(app);
  installProblemHandlers(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Action endpoints take an empty body as well as a JSON object: no body reads as {}.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
  });
  // Once shutdown begins, answers close their connection, so keep-alive sockets do not hold the
  // process open after the last in-flight request is done.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  const registry = installMetrics(app, { processMetrics: options.processMetrics ?? false });
  installCallerCheck(app, store, clock);
  // An API route that declares no query parameters refuses them, rather than ignoring a typo.
  app.addHook('onRoute', (route) => {
    if (route.config?.roles && route.schema?.querystring === undefined) {
      route.schema = { ...route.schema, querystring: NoQuery };
    }
  });
  await installOpenApi(app, VERSION);

  const { guessLimiter } = options;
  app.addHook('onReady', () => guessLimiter.ready);
  app.addHook('onClose', () => guessLimiter.close());
  const deps: Deps = { store, clock, write: makeWrite(store, clock), guessLimiter, webhooks: config.webhooks, uploads: config.uploads };

  // The whole API surface, in one place.
  registerOpsRoutes(app, deps, registry);
  registerApiKeyRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerLedgerRoutes(app, deps);
  registerRewardRoutes(app, deps);
  registerPoolRoutes(app, deps);
  registerPurchaseRoutes(app, deps);
  registerVoucherRoutes(app, deps);
  registerValidationRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerReportRoutes(app, deps);
  await registerConsole(app);

  return app;
}
