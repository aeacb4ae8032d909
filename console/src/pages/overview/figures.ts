/** A count as a table shows it: grouped digits, or a dash where the figure does not apply. */
export function count(value: number | null): string {
  return value === null ? '—' : value.toLocaleString();
}

/** A rate (0.25) as a percentage ("25.0%"), or a dash when there is none (nothing issued). */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}
