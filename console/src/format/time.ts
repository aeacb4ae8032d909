/** An API time (ISO-8601 UTC) as the reader's local date and time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The value of a datetime-local input for an ISO time, in the reader's time zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A datetime-local input's value back to ISO-8601 UTC; undefined when empty or unreadable. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The UTC day of an ISO time, "2026-11-26". */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** The last `count` UTC days, oldest first, ending today. */
export function lastDays(count: number, now = new Date()): string[] {
  const days: string[] = [];
  for (let back = count - 1; back >= 0; back--) {
    days.push(new Date(now.getTime() - back * 86_400_000).toISOString().slice(0, 10));
  }
  return days;
}
