/** A status (ACTIVE, BURNED, FAILED…) as a coloured label; the text carries the meaning. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}
