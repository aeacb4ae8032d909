/** The source of "now", replaceable at the edge (tests move time without sleeping). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Times are stored and served as ISO-8601 UTC strings, identical on every engine and sortable as text. */
export const isoNow = (clock: Clock): string => clock.now().toISOString();
