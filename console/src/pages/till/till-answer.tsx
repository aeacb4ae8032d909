import { useEffect, useRef } from 'react';
import type { TillAnswer } from '../../api/client';
import { formatMoney } from '../../format/money';
import { formatTime } from '../../format/time';
import { describeIncentive } from '../reward/reward-details';
import { reasonText } from './reasons';

/** The till's screen after a check or a burn: the verdict in large type, then what to take off. */
export function TillAnswerView({ answer, dryRun }: { answer: TillAnswer; dryRun: boolean }) {
  const ref = useRef<HTMLElement>(null);
  // On a phone the answer is below the form: bring it into view.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [answer]);
  const verdict = !answer.valid ? `Not valid: ${reasonText(answer.reason)}` : answer.burned ? 'Valid: burned' : dryRun ? 'Valid: not burned (check only)' : 'Valid';
  return (
    <section ref={ref} className={answer.valid ? 'till-answer till-valid' : 'till-answer till-invalid'} role="status" aria-live="polite">
      <p className="verdict" data-testid="verdict">
        {verdict}
      </p>
      {answer.replayed && <p>A retry of a burn already made with this reference: the same answer as then.</p>}
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
