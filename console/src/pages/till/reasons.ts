import type { TillAnswer } from '../../api/client';

type Reason = NonNullable<TillAnswer['reason']>;

/** What a cashier reads for each reason a code is refused. */
const REASONS: Record<Reason, string> = {
  NOT_FOUND: 'Unknown code',
  ALREADY_BURNED: 'Already used',
  EXPIRED: 'Expired',
  VOIDED: 'Cancelled (voided)',
  NOT_REVEALED: 'Not revealed yet',
  WRONG_VENUE: 'Not valid at this venue',
  WRONG_USER: 'Belongs to another member',
  MIN_SPEND_NOT_MET: 'Minimum spend not met',
};

export function reasonText(reason: Reason | null | undefined): string {
  return reason ? REASONS[reason] : 'Valid';
}
