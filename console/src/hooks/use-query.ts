import { useCallback } from 'react';
import { useSearchParams } from 'wouter';

export type QueryChanges = Record<string, string | undefined>;

/**
 * The page's query parameters as state: lists keep their cursor and filters there, so a refresh, a
 * shared link or the Back button shows the same thing. An empty value removes the parameter.
 */
export function useQuery(): [URLSearchParams, (changes: QueryChanges, options?: { replace?: boolean }) => void] {
  const [params, setParams] = useSearchParams();
  const update = useCallback(
    (changes: QueryChanges, options: { replace?: boolean } = {}) => {
      setParams(
        (previous) => {
          const next = new URLSearchParams(previous);
          for (const [name, value] of Object.entries(changes)) {
            if (value === undefined || value === '') next.delete(name);
            else next.set(name, value);
          }
          return next;
        },
        { replace: options.replace ?? false },
      );
    },
    [setParams],
  );
  return [params, update];
}
