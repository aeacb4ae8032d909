import { type FormEvent, useEffect, useState } from 'react';
import { allRewards } from '../../api/all-rewards';
import { type ActivityQuery, type ActivityReport, api, unwrap } from '../../api/client';
import { downloadActivityCsv } from '../../api/download';
import { fieldErrors } from '../../api/problem';
import { SelectField, TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { TIME_ZONE, formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { RewardBreakdown, VenueBreakdown } from './breakdowns';
import { DayChart } from './day-chart';
import { type DateRange, RangePicker, lastDays } from './range-picker';
import { ReportStats } from './report-stats';

const DEFAULT_DAYS = 30;
// A new range or filter starts the breakdowns' pages over.
const FIRST_PAGES = { rewardsCursor: undefined, venuesCursor: undefined };

/**
 * The program's figures over a range of days in the reader's time zone, for every reward, one
 * reward or one venue, from the server's reports (exact at any size). The range and the filter are
 * the URL's query (`from`, `to`, `reward`, `venue`), so a link shows the same view; without a range,
 * the last 30 days.
 */
export function OverviewPage() {
  const [query, update] = useQuery();
  const fallback = lastDays(DEFAULT_DAYS);
  const range: DateRange = { from: query.get('from') ?? fallback.from, to: query.get('to') ?? fallback.to };
  const rewardId = query.get('reward') ?? undefined;
  const venue = query.get('venue') ?? undefined;
  const report: ActivityQuery = { ...range, timezone: TIME_ZONE, rewardId, venue };

  const rewards = useLoad((signal) => allRewards(signal), []);
  const activity = useLoad(
    (signal) => unwrap(api.GET('/v1/reports/activity', { params: { query: report }, signal })),
    [range.from, range.to, rewardId, venue],
  );
  const download = useAction();
  const errors = fieldErrors(activity.problem);

  const [typedVenue, setTypedVenue] = useState(venue ?? '');
  useEffect(() => setTypedVenue(venue ?? ''), [venue]);
  // A report covers the program, one reward or one venue: choosing one drops the other.
  const filterVenue = (event: FormEvent) => {
    event.preventDefault();
    update({ venue: typedVenue.trim() || undefined, reward: undefined, ...FIRST_PAGES });
  };

  const shown = activity.data;
  return (
    <>
      <PageTitle title="Overview">
        <button type="button" className="secondary" disabled={download.busy} onClick={() => download.run(() => downloadActivityCsv(report))}>
          {download.busy ? 'Downloading…' : 'Download CSV'}
        </button>
      </PageTitle>
      <div className="toolbar">
        <RangePicker range={range} errors={errors} onChange={(next) => update({ ...next, ...FIRST_PAGES })} />
      </div>
      <form className="toolbar" role="search" onSubmit={filterVenue}>
        <SelectField
          name="rewardId"
          label="Reward"
          value={rewardId ?? ''}
          errors={errors}
          onChange={(value) => update({ reward: value || undefined, venue: undefined, ...FIRST_PAGES })}
          options={[{ value: '', label: 'All rewards' }, ...(rewards.data ?? []).map((reward) => ({ value: reward.id, label: reward.name }))]}
        />
        <TextField name="venue" label="Venue" value={typedVenue} onChange={setTypedVenue} errors={errors} placeholder="All venues" autoComplete="off" />
        <button type="submit" className="secondary">
          Filter
        </button>
      </form>
      <ProblemBanner problem={activity.problem ?? download.problem} />
      {activity.loading && <Loading what="the figures" />}
      {shown && (
        <>
          <ReportScope report={shown} />
          <ReportStats report={shown} />
          <DayChart days={shown.days} timezone={shown.timezone} />
          {/* The breakdowns are the whole program's; they follow the range, not the filter. */}
          {!shown.rewardId && !shown.venue && !activity.problem && (
            <>
              <RewardBreakdown range={range} />
              <VenueBreakdown range={range} />
            </>
          )}
        </>
      )}
    </>
  );
}

/** What the figures shown cover, as the server answered: they may be a moment older than the inputs. */
function ReportScope({ report }: { report: ActivityReport }) {
  return (
    <p className="report-scope">
      <strong>
        {report.from} to {report.to}
      </strong>{' '}
      · {report.days.length} {report.days.length === 1 ? 'day' : 'days'} in {report.timezone}
      {report.timezone === TIME_ZONE && ', this browser’s time zone'}
      {report.venue && <> · venue {report.venue}: burns only</>} · as of {formatTime(report.asOf)}
    </p>
  );
}
