import { useState } from 'react';

/** A secret the API shows only once (a new API key, a webhook's signing secret), with a copy button. */
export function ShownOnce({ label, secret, onDone }: { label: string; secret: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="shown-once" role="status">
      <p>
        <strong>{label}</strong> It is shown only this once: copy it now.
      </p>
      <code className="secret">{secret}</code>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => navigator.clipboard?.writeText(secret).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
