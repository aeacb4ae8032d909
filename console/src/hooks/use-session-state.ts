import { useEffect, useState } from 'react';

/** useState kept in sessionStorage under `key`, so a draft survives a refresh of the tab. */
export function useSessionState<T>(key: string, initial: T | (() => T)): [T, (value: T | ((previous: T) => T)) => void] {
  const storageKey = `tessera.draft.${key}`;
  const [value, setValue] = useState<T>(() => {
    const stored = sessionStorage.getItem(storageKey);
    if (stored !== null) {
      try {
        return JSON.parse(stored) as T;
      } catch {
        // a draft from an older console: start afresh
      }
    }
    return typeof initial === 'function' ? (initial as () => T)() : initial;
  });
  useEffect(() => {
    sessionStorage.setItem(storageKey, JSON.stringify(value));
  }, [storageKey, value]);
  return [value, setValue];
}
