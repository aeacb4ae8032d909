import { useEffect, useRef, useState } from 'react';
import { type EventType, type LogEvent, type Problem, api, unwrap } from '../../api/client';
import { problemOf } from '../../api/problem';

const FOLLOW_EVERY_MS = 2_000;
const PAGE = 50;
// A page followed for long keeps its newest events only.
const KEEP = 1_000;

export interface EventFilters {
  type: EventType | undefined;
  userId: string | undefined;
}

export interface FollowedEvents {
  events: LogEvent[];
  /** Where the page after this one starts, and whether it has anything yet. */
  nextCursor: string | null;
  hasMore: boolean;
  loading: boolean;
  problem: Problem | null;
  /** Ids that arrived while following, to highlight. */
  fresh: ReadonlySet<string>;
}

function read(filters: EventFilters, cursor: string | undefined, signal?: AbortSignal) {
  return unwrap(api.GET('/v1/events', { params: { query: { limit: PAGE, cursor, type: filters.type, userId: filters.userId } }, signal }));
}

/**
 * One page of the event log from `cursor`; when it is the last page, asks every two seconds for
 * what came after it (the log's nextCursor always points past the last event seen) and appends it.
 */
export function useFollowedEvents(filters: EventFilters, cursor: string | undefined, follow: boolean): FollowedEvents {
  const [state, setState] = useState<FollowedEvents>({ events: [], nextCursor: null, hasMore: false, loading: true, problem: null, fresh: new Set() });
  const latest = useRef(state);
  latest.current = state;

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, problem: null }));
    read(filters, cursor, controller.signal).then(
      (page) => setState({ events: page.data, nextCursor: page.nextCursor, hasMore: page.hasMore, loading: false, problem: null, fresh: new Set() }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, problem: problemOf(error) }));
      },
    );
    return () => controller.abort();
  }, [filters.type, filters.userId, cursor]);

  useEffect(() => {
    if (!follow || state.loading || state.hasMore || state.nextCursor === null) return;
    const controller = new AbortController();
    let timer: number;
    const tick = async () => {
      try {
        const page = await read(filters, latest.current.nextCursor ?? undefined, controller.signal);
        setState((s) => ({
          ...s,
          events: [...s.events, ...page.data].slice(-KEEP),
          nextCursor: page.nextCursor,
          problem: null,
          fresh: page.data.length > 0 ? new Set([...s.fresh, ...page.data.map((event) => event.id)]) : s.fresh,
        }));
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, problem: problemOf(error) }));
      }
      if (!controller.signal.aborted) timer = window.setTimeout(tick, FOLLOW_EVERY_MS);
    };
    timer = window.setTimeout(tick, FOLLOW_EVERY_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
    // Restarted only when following starts or stops; the cursor advances through the ref.
  }, [follow, state.loading, state.hasMore, filters.type, filters.userId]);

  return state;
}

/** Pages forward from `cursor` to the last page of the log and returns the cursor that starts it. */
export async function lastPageCursor(filters: EventFilters, cursor: string | undefined, onProgress: (pages: number) => void): Promise<string | undefined> {
  let start = cursor;
  for (let pages = 1; ; pages++) {
    const page = await read(filters, start);
    onProgress(pages);
    if (!page.hasMore || page.nextCursor === null) return start;
    start = page.nextCursor;
  }
}
