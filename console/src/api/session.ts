/** The admin key lives in sessionStorage only: gone when the tab closes, never in a URL. */
const KEY = 'tessera.adminKey';

type Listener = () => void;
const listeners = new Set<Listener>();
let notice: string | null = null;

export const session = {
  key(): string | null {
    return sessionStorage.getItem(KEY);
  },
  signIn(key: string): void {
    notice = null;
    sessionStorage.setItem(KEY, key);
    listeners.forEach((listener) => listener());
  },
  /** Forgets the key and every draft kept for this tab; `reason` is shown on the sign-in page. */
  signOut(reason: string | null = null): void {
    notice = reason;
    sessionStorage.clear();
    listeners.forEach((listener) => listener());
  },
  /** Why the last sign-out happened (a revoked key, say), if it was not the user's choice. */
  notice(): string | null {
    return notice;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
