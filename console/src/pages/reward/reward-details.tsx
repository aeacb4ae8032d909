import type { Incentive, Reward } from '../../api/client';
import { formatMoney } from '../../format/money';
import { formatTime } from '../../format/time';

export function describeIncentive(incentive: Incentive): string {
  const money = (minor: number) => (incentive.currency ? formatMoney(minor, incentive.currency) : String(minor));
  const what =
    incentive.type === 'PERCENTAGE'
      ? `${incentive.value}% off`
      : incentive.type === 'AMOUNT_OFF'
        ? `${money(incentive.value)} off`
        : `price ${money(incentive.value)}`;
  const target = incentive.productSku ? ` ${incentive.productSku}` : incentive.type === 'PRICE_OVERRIDE' ? ' basket' : ' the basket';
  const extras = [
    incentive.minSpend !== undefined ? `minimum spend ${money(incentive.minSpend)}` : '',
    incentive.maxDiscount !== undefined ? `at most ${money(incentive.maxDiscount)}` : '',
    incentive.posSku ? `POS SKU ${incentive.posSku}` : '',
  ].filter(Boolean);
  return `${what}${incentive.type === 'PERCENTAGE' || incentive.type === 'AMOUNT_OFF' ? ` on${target}` : ` for${target}`}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** A reward's settings as a description list. */
export function RewardDetails({ reward }: { reward: Reward }) {
  const rows: Array<[string, string]> = [
    ['Price', `${reward.pricePoints.toLocaleString()} points`],
    ['Codes', reward.codeType === 'ONE_TIME' ? `${reward.codeFormat}, ${reward.codeLength} random symbols` : reward.codeType === 'STATIC' ? `static: ${reward.staticCode ?? ''}` : 'from a partner pool'],
    ['Guessability', reward.guessability ? `${reward.guessability.bitsPerCode} bits, ${reward.guessability.liveCodes.toLocaleString()} live codes` : '—'],
    ['Redemption', reward.redemptionFlow === 'ONE_STEP' ? 'one step' : 'two steps (reveal)'],
    ['Stock', reward.stock === null ? 'unlimited' : reward.stock.toLocaleString()],
    ['Per member', reward.perUserLimit === null ? 'no limit' : String(reward.perUserLimit)],
    ['On sale', `${reward.purchasable ? 'yes' : 'no (gifts only)'}${reward.availableFrom ? `, from ${formatTime(reward.availableFrom)}` : ''}${reward.availableUntil ? `, until ${formatTime(reward.availableUntil)}` : ''}`],
    ['Valid', [reward.validityDays ? `${reward.validityDays} days` : '', reward.validUntil ? `until ${formatTime(reward.validUntil)}` : ''].filter(Boolean).join(', ') || 'no expiry'],
    ['Venues', reward.venues?.join(', ') || 'anywhere'],
    ['Incentives', reward.incentives.map(describeIncentive).join('; ') || 'none'],
  ];
  if (reward.codeType === 'POOL') rows.push(['Low-stock threshold', reward.lowStockThreshold === null ? 'none' : String(reward.lowStockThreshold)]);
  if (reward.description) rows.unshift(['Description', reward.description]);
  return (
    <dl className="details">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
