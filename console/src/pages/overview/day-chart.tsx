import type { ReportDay } from '../../api/client';
import { Table } from '../../components/table';
import { count } from './figures';

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 36 };
// About six dates along the axis, the last day always among them.
const LABELS = 6;

/**
 * Vouchers issued and burned per day of a report as paired bars (burned only for a venue, which
 * has no issued), with the same figures in a table beneath.
 */
export function DayChart({ days, timezone }: { days: ReportDay[]; timezone: string }) {
  const withIssued = days.some((day) => day.issued !== null);
  const series = withIssued ? (['issued', 'burned'] as const) : (['burned'] as const);
  const max = Math.max(1, ...days.map((day) => Math.max(day.issued ?? 0, day.burned)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, days.length);
  const bar = Math.max(1, slot / series.length - 1);
  const labelEvery = Math.max(1, Math.round(days.length / LABELS));
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const ticks = [...new Set([0, Math.ceil(max / 2), max])];
  const name = withIssued ? 'Issued and burned vouchers per day' : 'Burned vouchers per day';

  return (
    <figure className="chart">
      <figcaption>
        Vouchers {withIssued && <>issued <span className="key key-issued" aria-hidden="true" /> and </>}burned{' '}
        <span className="key key-burned" aria-hidden="true" /> per day ({timezone})
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={name}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" className="axis">
              {tick}
            </text>
          </g>
        ))}
        {days.map((day, index) => {
          const x = PAD.left + index * slot;
          return (
            <g key={day.date}>
              {series.map((kind, at) => {
                const value = day[kind] ?? 0;
                return (
                  <rect key={kind} x={x + 1 + at * bar} y={y(value)} width={bar} height={y(0) - y(value)} className={`bar-${kind}`}>
                    <title>{`${day.date}: ${value} ${kind}`}</title>
                  </rect>
                );
              })}
              {(days.length - 1 - index) % labelEvery === 0 && (
                <text x={x + slot / 2} y={HEIGHT - 8} textAnchor="middle" className="axis">
                  {day.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>The figures as a table</summary>
        <Table headings={withIssued ? ['Day', 'Issued', 'Burned'] : ['Day', 'Burned']}>
          {days.map((day) => (
            <tr key={day.date}>
              <td>{day.date}</td>
              {withIssued && <td>{count(day.issued)}</td>}
              <td>{count(day.burned)}</td>
            </tr>
          ))}
        </Table>
      </details>
    </figure>
  );
}
