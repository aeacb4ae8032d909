/** A labelled progress bar; without `max` it shows activity only. */
export function ProgressBar({ label, value, max, text }: { label: string; value?: number; max?: number; text?: string }) {
  return (
    <div className="progress" role="status">
      <span>{label}</span>
      <progress value={max === undefined ? undefined : value} max={max} aria-label={label} />
      {text && <span className="progress-text">{text}</span>}
    </div>
  );
}

/** Shown while a page's data is on its way. */
export function Loading({ what }: { what: string }) {
  return <ProgressBar label={`Loading ${what}…`} />;
}
