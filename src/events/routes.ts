import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { Id, Nullable, Page, PageQuery, Timestamp, responses } from '../http/schemas.js';
import { decodeCursor } from '../pagination.js';
import { EVENT_TYPES } from './event-types.js';
import { isEventPosition, listEvents } from './list-events.js';

const EventType = Type.Enum(EVENT_TYPES);

const Event = Type.Object({
  id: Type.String(),
  type: EventType,
  occurredAt: Timestamp,
  userId: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
});

export function registerEventRoutes(app: Api, { store }: Deps): void {
  app.get(
    '/v1/events',
    {
      config: { roles: ['admin', 'app'] },
      schema: {
        tags: ['events'],
        summary: 'The event log, oldest first. Follow it by passing nextCursor back: it always points after the last event seen; hasMore says whether more are ready now',
        querystring: Type.Object({ ...PageQuery, type: Type.Optional(EventType), userId: Type.Optional(Id('user')) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ ...Page(Event).properties, hasMore: Type.Boolean() }) }),
      },
    },
    async (request) =>
      listEvents(store.db, request.caller.programId, {
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isEventPosition),
        type: request.query.type,
        userId: request.query.userId,
      }),
  );
}
