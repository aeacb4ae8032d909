import { useEffect, useRef } from 'react';
import type { Problem } from '../api/client';
import { fieldId, fieldPath } from '../api/problem';
import { useFormScope } from './form-scope';

/**
 * What the API said went wrong: its title and detail, and for field errors a list linking to each
 * field (whose own message is shown beside it). Takes focus, so keyboard and screen-reader users
 * hear it.
 */
export function ProblemBanner({ problem, title }: { problem: Problem | null | undefined; title?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const scope = useFormScope();
  useEffect(() => {
    if (problem) ref.current?.focus();
  }, [problem]);
  if (!problem) return null;
  const errors = problem.errors ?? [];
  return (
    <div className="problem" role="alert" tabIndex={-1} ref={ref}>
      <strong>{title ?? problem.title}</strong>
      {errors.length > 0 ? (
        <ul>
          {errors.map((error) => {
            const field = fieldPath(error.path);
            return (
              <li key={error.path + error.message}>
                {/* The message names its field: "delta must not be 0". */}
                <a href={`#${fieldId(field, scope)}`}>{error.message}</a>
              </li>
            );
          })}
        </ul>
      ) : (
        <p>{problem.detail}</p>
      )}
    </div>
  );
}
