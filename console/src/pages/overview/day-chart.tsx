import type { DayCount } from './compute-overview';
import { Table } from '../../components/table';

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 36 };

/** Issued and burned vouchers per day as paired bars, with the same figures in a table beneath. */
export function DayChart({ days }: { days: DayCount[] }) {
  const max = Math.max(1, ...days.map((d) => Math.max(d.issued, d.burned)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / days.length;
  const bar = Math.max(1, slot / 2 - 1);
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const ticks = [...new Set([0, Math.ceil(max / 2), max])];

  return (
    <figure className="chart">
      <figcaption>
        Vouchers issued <span className="key key-issued" aria-hidden="true" /> and burned <span className="key key-burned" aria-hidden="true" /> per
        day, last {days.length} days (UTC)
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Issued and burned vouchers per day">
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
            <g key={day.day}>
              <rect x={x + 1} y={y(day.issued)} width={bar} height={y(0) - y(day.issued)} className="bar-issued">
                <title>{`${day.day}: ${day.issued} issued`}</title>
              </rect>
              <rect x={x + 1 + bar} y={y(day.burned)} width={bar} height={y(0) - y(day.burned)} className="bar-burned">
                <title>{`${day.day}: ${day.burned} burned`}</title>
              </rect>
              {(days.length - 1 - index) % 5 === 0 && (
                <text x={x + slot / 2} y={HEIGHT - 8} textAnchor="middle" className="axis">
                  {day.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>The figures as a table</summary>
        <Table headings={['Day', 'Issued', 'Burned']}>
          {days.map((day) => (
            <tr key={day.day}>
              <td>{day.day}</td>
              <td>{day.issued}</td>
              <td>{day.burned}</td>
            </tr>
          ))}
        </Table>
      </details>
    </figure>
  );
}
