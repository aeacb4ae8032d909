import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import type { PresentedKey } from './authenticate.js';

/** `last_used_at` is kept to within this much: at most one write a key a minute. */
export const KEY_USE_PRECISION_MS = 60_000;

/** Keys this process has written a use of lately (key id → when), so a burst of requests writes once. */
const written = new Map<string, number>();
const WRITTEN_AT_MOST = 10_000;

/**
 * Records, coarsely, that a key was used: once its stored time is a minute old, one write, after the
 * answer has gone out and never holding a request up. The write checks the stored time itself, so
 * several instances together also write about once a minute. A failed write is dropped: the next
 * use tries again.
 */
export function noteKeyUse(store: Store, clock: Clock, key: PresentedKey): void {
  const now = clock.now();
  const due = now.getTime() - KEY_USE_PRECISION_MS;
  if (key.lastUsedAt !== null && Date.parse(key.lastUsedAt) > due) return;
  if ((written.get(key.caller.keyId) ?? 0) > due) return;
  if (written.size >= WRITTEN_AT_MOST) written.clear();
  written.set(key.caller.keyId, now.getTime());
  const usedAt = now.toISOString();
  const stale = new Date(due).toISOString();
  // Begun on the next turn: a store closing meanwhile fails the promise, never the request's hook.
  Promise.resolve()
    .then(() =>
      store.write((trx) =>
        trx
          .updateTable('api_keys')
          .set({ last_used_at: usedAt })
          .where('program_id', '=', key.caller.programId)
          .where('id', '=', key.caller.keyId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', stale)]))
          .execute(),
      ),
    )
    .catch(() => written.delete(key.caller.keyId));
}
