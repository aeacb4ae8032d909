import { useEffect, useState } from 'react';
import type { FieldErrors } from '../../api/problem';
import { TextField } from '../../components/fields';
import { addDays, today } from '../../format/time';

/** The days a report covers, both included, as YYYY-MM-DD in the reader's time zone. */
export interface DateRange {
  from: string;
  to: string;
}

const QUICK_DAYS = [7, 30, 90, 365] as const;

/** The last `days` days, ending today. */
export function lastDays(days: number, end = today()): DateRange {
  return { from: addDays(end, 1 - days), to: end };
}

/**
 * From and to date inputs, and buttons for the last 7, 30, 90 or 365 days. A date being typed is
 * kept here until it is whole; only whole ranges are passed on (the API checks the rest and its
 * message shows beside the field).
 */
export function RangePicker({ range, errors, onChange }: { range: DateRange; errors: FieldErrors; onChange(range: DateRange): void }) {
  const [draft, setDraft] = useState(range);
  useEffect(() => setDraft(range), [range.from, range.to]);

  const change = (field: keyof DateRange) => (value: string) => {
    const next = { ...draft, [field]: value };
    setDraft(next);
    if (next.from && next.to) onChange(next);
  };
  const end = today();

  return (
    <>
      <TextField name="from" label="From" type="date" value={draft.from} onChange={change('from')} errors={errors} />
      <TextField name="to" label="To" type="date" value={draft.to} onChange={change('to')} errors={errors} />
      <div className="actions quick-ranges" role="group" aria-label="Quick ranges">
        <span className="hint">Last</span>
        {QUICK_DAYS.map((days) => {
          const quick = lastDays(days, end);
          return (
            <button
              key={days}
              type="button"
              className="secondary small"
              aria-pressed={quick.from === range.from && quick.to === range.to}
              onClick={() => onChange(quick)}
            >
              {days} days
            </button>
          );
        })}
      </div>
    </>
  );
}
