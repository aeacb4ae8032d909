import { useCallback, useState } from 'react';
import type { Problem } from '../api/client';
import { type FieldErrors, fieldErrors, problemOf } from '../api/problem';

export interface Action {
  busy: boolean;
  problem: Problem | null;
  errors: FieldErrors;
  /** Runs `work`; its problem (if any) is kept to show, and the result is undefined. */
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
  clear(): void;
}

/** One button's or form's call to the API: busy while it runs, then its problem and field errors. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const run = useCallback(async <T,>(work: () => Promise<T>) => {
    setBusy(true);
    setProblem(null);
    try {
      return await work();
    } catch (error) {
      setProblem(problemOf(error));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);

  const clear = useCallback(() => setProblem(null), []);
  return { busy, problem, errors: fieldErrors(problem), run, clear };
}
