import { useQuery } from '../hooks/use-query';

/**
 * "Next page" for a list whose cursor is the URL parameter `param`: each page is a history entry,
 * so Back returns to the previous one; "First page" starts over.
 */
export function Pager({ nextCursor, param = 'cursor', label = 'list' }: { nextCursor: string | null | undefined; param?: string; label?: string }) {
  const [query, update] = useQuery();
  const onFirst = query.get(param) === null;
  if (onFirst && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={`Pages of the ${label}`}>
      <button type="button" className="secondary" disabled={onFirst} onClick={() => update({ [param]: undefined })}>
        First page
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => update({ [param]: nextCursor ?? undefined })}>
        Next page
      </button>
    </nav>
  );
}
