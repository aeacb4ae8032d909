import type { Page } from './client';

export interface ReadAll<T> {
  items: T[];
  /** More remained when the page limit was reached. */
  capped: boolean;
}

/**
 * Follows `nextCursor` from the first page until the list ends or `maxPages` pages are read,
 * reporting the running count; for pickers that need a whole short list (never for a figure: the
 * reports count).
 */
export async function readAll<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T> & { hasMore?: boolean }>,
  options: { maxPages: number; onProgress?: (count: number) => void; signal?: AbortSignal },
): Promise<ReadAll<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < options.maxPages; page++) {
    options.signal?.throwIfAborted();
    const result = await fetchPage(cursor);
    items.push(...result.data);
    options.onProgress?.(items.length);
    // The event log always has a nextCursor (to follow it); its end is hasMore: false.
    const more = result.hasMore ?? result.nextCursor !== null;
    if (!more || result.nextCursor === null || result.data.length === 0) return { items, capped: false };
    cursor = result.nextCursor;
  }
  return { items, capped: true };
}
