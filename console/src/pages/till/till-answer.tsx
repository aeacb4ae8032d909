import { useEffect, useRef } from 'react';
import type { TillAnswer } from '../../api/client';
import { formatMoney } from '../../format/money';
import { formatTime } from '../../format/time';
import { describeIncentive } from '../reward/reward-details';
import { reasonText } from './reasons';

/** The verdict in a cashier's words; a retried burn must not read as a new discount. */
function verdictOf(answer: TillAnswer, dryRun: boolean): string {
  if (answer.replayed) return 'Already burned in this sale — do not give the discount again';
  if (!answer.valid) return `Not valid: ${reasonText(answer.reason)}`;
  if (answer.burned) return 'Valid: burned';
  return dryRun ? 'Valid: not burned (check only)' : 'Valid';
}

/** The till's screen after a check or a burn: the verdict in large type, then what to take off. */
export function TillAnswerView({ answer, dryRun }: { answer: TillAnswer; dryRun: boolean }) {
  const ref = useRef<HTMLElement>(null);
  // On a phone the answer is below the form: bring it into view.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [answer]);
  const look = answer.replayed ? 'till-replay' : answer.valid ? 'till-valid' : 'till-invalid';
  return (
    <section ref={ref} className={`till-answer ${look}`} role="status" aria-live="polite">
      <p className="verdict" data-testid="verdict">
        {verdictOf(answer, dryRun)}
      </p>
      {answer.replayed && <p>This sale already burned the code (same reference): the discount below was given then.</p>}
      {answer.burn && (
        <p data-testid="burned-where">
          Used {formatTime(answer.burn.at)}
          {answer.burn.venue && ` at ${answer.burn.venue}`}
          {answer.burn.reference && ` (ref ${answer.burn.reference})`}
        </p>
      )}
      {answer.reward && <p className="reward-name">{answer.reward.name}</p>}
      {answer.discount && (
        <p className="discount" data-testid="discount">
          Take off <strong>{formatMoney(answer.discount.amount, answer.discount.currency)}</strong>
          {answer.discount.lines.length > 0 && (
            <span className="hint"> ({answer.discount.lines.map((line) => `${line.sku}: ${formatMoney(line.amount, answer.discount!.currency)}`).join(', ')})</span>
          )}
        </p>
      )}
      {answer.valid && !answer.discount && answer.incentives.length > 0 && <p>Apply: {answer.incentives.map(describeIncentive).join('; ')}</p>}
      {answer.voucher && (
        <p className="hint">
          <code>{answer.voucher.code}</code> · {answer.voucher.status}
          {answer.voucher.burnedAt && ` · burned ${formatTime(answer.voucher.burnedAt)}`}
          {answer.voucher.expiresAt && ` · expires ${formatTime(answer.voucher.expiresAt)}`}
        </p>
      )}
    </section>
  );
}
