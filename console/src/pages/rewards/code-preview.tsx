import { useMemo, useState } from 'react';
import { BITS_PER_SYMBOL, exampleCode, largeNumber, placeholderCount } from './code-format';

const SAFE_BITS = 40;

/** A live example of the code format and how guessable its codes are. */
export function CodePreview({ format, length, liveCodes }: { format: string; length: number; liveCodes: number | null }) {
  const [round, setRound] = useState(0);
  const placeholders = placeholderCount(format);
  const valid = placeholders === 1 && Number.isInteger(length) && length >= 6 && length <= 32;
  // `round` makes "Another" draw a new example for the same format.
  const example = useMemo(() => (valid ? exampleCode(format, length) : null), [format, length, valid, round]);
  const bits = length * BITS_PER_SYMBOL;
  const live = liveCodes && liveCodes > 0 ? liveCodes : 10_000;

  return (
    <aside className="code-preview" aria-live="polite">
      <h3>Example code</h3>
      {example ? (
        <>
          <p>
            <code className="example-code" data-testid="example-code">
              {example}
            </code>{' '}
            <button type="button" className="secondary small" onClick={() => setRound((r) => r + 1)}>
              Another
            </button>
          </p>
          <p data-testid="guessability">
            <strong>{bits} bits</strong> per code: {largeNumber(2 ** bits)} possible codes. With {live.toLocaleString()}{' '}
            {liveCodes && liveCodes > 0 ? 'live codes now' : 'live codes'}, a random guess hits one in {largeNumber(2 ** bits / live)} tries.
          </p>
          {bits < SAFE_BITS && <p className="warning">Short codes are easy to guess: use at least 8 symbols (40 bits).</p>}
        </>
      ) : (
        <p className="warning">
          {placeholders !== 1 ? 'The format must contain {code} exactly once.' : 'The length must be a whole number from 6 to 32.'}
        </p>
      )}
    </aside>
  );
}
