import { type DependencyList, useCallback, useEffect, useState } from 'react';
import type { Problem } from '../api/client';
import { problemOf } from '../api/problem';

export interface Load<T> {
  data: T | undefined;
  problem: Problem | null;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload()); a newer run makes an older answer moot. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Load<T> {
  const [data, setData] = useState<T>();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setProblem(null);
        setLoading(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setProblem(problemOf(error));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [...deps, round]);

  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, problem, loading, reload };
}
