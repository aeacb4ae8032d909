/** One figure in a `<dl className="stats">`: its label, its value (numbers grouped) and an optional hint. */
export function Stat({ label, value, hint }: { label: string; value: number | string; hint?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{typeof value === 'number' ? value.toLocaleString() : value}</dd>
      {hint && <small className="hint">{hint}</small>}
    </div>
  );
}
