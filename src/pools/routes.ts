import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Api, Deps } from '../app.js';
import { AppError } from '../errors.js';
import { IdParams, IdempotencyHeaders, responses } from '../http/schemas.js';
import { loadReward } from '../rewards/get-reward.js';
import { uploadInProgress } from './pending-upload.js';
import { assertPoolReward } from './pool-reward.js';
import { poolSummary } from './pool-summary.js';
import { CodesSummary, UploadBody, UploadQuery, UploadReport } from './schemas.js';
import { receiveUpload, settleUpload } from './receive-upload.js';
import { UPLOAD_FORMATS, uploadFormatOf } from './upload-formats.js';

const tags = ['code pools'];

export function registerPoolRoutes(app: Api, { clock, store, write, uploads }: Deps): void {
  // Uploads are streamed: in this scope the body reaches the handler unread, whatever its size.
  app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...UPLOAD_FORMATS], (_request, payload, done) => done(null, payload));

    scope.post(
      '/v1/rewards/:id/codes',
      {
        config: { roles: ['admin'] },
        schema: {
          tags,
          summary: 'Upload codes to a POOL reward: text/plain (a code a line), text/csv (first column) or {"codes": [...]}',
          body: UploadBody,
          params: IdParams('reward'),
          querystring: UploadQuery,
          headers: IdempotencyHeaders,
          response: responses({ 201: UploadReport }),
        },
      },
      async (request, reply) => {
        // Without a body, the app's hook has set {} for the stream the parser would have passed.
        if (typeof (request.body as Readable | undefined)?.pipe !== 'function') {
          throw new AppError('VALIDATION_FAILED', 'Send the codes as text/plain, text/csv or application/json', [
            { path: '/body', message: 'is required' },
          ]);
        }
        const format = uploadFormatOf(request.headers['content-type']);
        const { programId, keyId } = request.caller;
        const rewardId = request.params.id;
        const header = request.query.header;
        // A sender that hangs up while waiting for its turn stops waiting.
        const hungUp = new AbortController();
        reply.raw.once('close', () => hungUp.abort());
        let received;
        try {
          received = await receiveUpload(store, clock, { programId, rewardId, keyId }, request.body as Readable, format, {
            ...uploads,
            signal: hungUp.signal,
            ...(header === undefined ? {} : { header }),
          });
        } catch (error) {
          // Refused before the whole body was read: the rest would be taken for the next request.
          if (!request.raw.complete) reply.header('connection', 'close');
          throw error;
        }
        const { upload, digest } = received;
        await settleUpload(store, clock, upload, (complete, giveUp) =>
          write(request, reply, 201, complete, { bodyDigest: `${format} header=${header ?? ''} ${digest}`, onReplay: giveUp }),
        );
      },
    );
  });

  app.get(
    '/v1/rewards/:id/codes/summary',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: "A POOL reward's codes: total, available, issued, and the upload still arriving, with how far it has come",
        params: IdParams('reward'),
        response: responses({ 200: CodesSummary }),
      },
    },
    async (request) => {
      const reward = await loadReward(store.db, request.caller.programId, request.params.id);
      assertPoolReward(reward);
      const upload = await uploadInProgress(store.db, clock, reward.program_id, reward.id);
      return { ...(await poolSummary(store.db, reward.program_id, reward.id)), ...(upload ? { upload } : {}) };
    },
  );
}
