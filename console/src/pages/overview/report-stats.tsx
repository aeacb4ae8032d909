import type { ActivityReport } from '../../api/client';
import { Stat } from '../../components/stat';
import { percent } from './figures';

/** A figure that may not apply to the report's scope (null, as for a venue): shown only where it does. */
function Figure({ value, ...stat }: { label: string; value: number | null; hint?: string }) {
  return value === null ? null : <Stat value={value} {...stat} />;
}

/** The report's totals over its range, and the vouchers redeemable now. */
export function ReportStats({ report }: { report: ActivityReport }) {
  const { totals } = report;
  return (
    <dl className="stats">
      <Figure label="Vouchers issued" value={totals.issued} hint="bought or given" />
      <Stat label="Burned" value={totals.burned} hint="less reversals" />
      <Figure label="Expired" value={totals.expired} hint="unused" />
      <Figure label="Voided" value={totals.voided} hint="or refunded" />
      <Figure label="Active now" value={report.active} hint="whatever the dates" />
      {totals.issued !== null && <Stat label="Redemption rate" value={percent(totals.redemptionRate)} hint="burned ÷ issued" />}
      <Figure label="Points spent" value={totals.pointsSpent} hint="net of refunds" />
      {totals.pointsCredited !== null && (
        <Stat label="Points credited" value={totals.pointsCredited} hint={`by adjustments; ${(totals.pointsDebited ?? 0).toLocaleString()} debited`} />
      )}
    </dl>
  );
}
