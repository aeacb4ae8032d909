import { Link } from 'wouter';
import { api, unwrap } from '../../api/client';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { Table } from '../../components/table';
import { TIME_ZONE } from '../../format/time';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { count, percent } from './figures';
import type { DateRange } from './range-picker';

/** Each reward's figures over the range, a page of the catalogue at a time. */
export function RewardBreakdown({ range }: { range: DateRange }) {
  const [query] = useQuery();
  const cursor = query.get('rewardsCursor') ?? undefined;
  const page = useLoad(
    (signal) => unwrap(api.GET('/v1/reports/rewards', { params: { query: { ...range, timezone: TIME_ZONE, cursor } }, signal })),
    [range.from, range.to, cursor],
  );
  return (
    <section>
      <h2>By reward</h2>
      <ProblemBanner problem={page.problem} />
      {page.loading && <Loading what="the rewards’ figures" />}
      {page.data &&
        (page.data.data.length === 0 ? (
          <p>No rewards yet.</p>
        ) : (
          <>
            <Table headings={['Reward', 'Issued', 'Burned', 'Expired', 'Voided', 'Active now', 'Redemption rate', 'Points spent']}>
              {page.data.data.map((reward) => (
                <tr key={reward.rewardId}>
                  <td>
                    <Link href={`/rewards/${reward.rewardId}`}>{reward.name}</Link>
                  </td>
                  <td>{count(reward.totals.issued)}</td>
                  <td>{count(reward.totals.burned)}</td>
                  <td>{count(reward.totals.expired)}</td>
                  <td>{count(reward.totals.voided)}</td>
                  <td>{count(reward.active)}</td>
                  <td>{percent(reward.totals.redemptionRate)}</td>
                  <td>{count(reward.totals.pointsSpent)}</td>
                </tr>
              ))}
            </Table>
            <Pager nextCursor={page.data.nextCursor} param="rewardsCursor" label="rewards" />
          </>
        ))}
    </section>
  );
}

/** The burns at each venue over the range, a page of venues (by name) at a time; each links to its own report. */
export function VenueBreakdown({ range }: { range: DateRange }) {
  const [query] = useQuery();
  const cursor = query.get('venuesCursor') ?? undefined;
  const page = useLoad(
    (signal) => unwrap(api.GET('/v1/reports/venues', { params: { query: { ...range, timezone: TIME_ZONE, cursor } }, signal })),
    [range.from, range.to, cursor],
  );
  const venueView = (venue: string) => {
    const params = new URLSearchParams(query);
    params.set('venue', venue);
    for (const name of ['reward', 'rewardsCursor', 'venuesCursor']) params.delete(name);
    return `/?${params}`;
  };
  return (
    <section className="narrow">
      <h2>Burns by venue</h2>
      <ProblemBanner problem={page.problem} />
      {page.loading && <Loading what="the venues’ figures" />}
      {page.data &&
        (page.data.data.length === 0 ? (
          <p>No burns at a named venue yet.</p>
        ) : (
          <>
            <Table headings={['Venue', 'Burned']}>
              {page.data.data.map((row) => (
                <tr key={row.venue}>
                  <td>
                    <Link href={venueView(row.venue)}>{row.venue}</Link>
                  </td>
                  <td>{count(row.burned)}</td>
                </tr>
              ))}
            </Table>
            <Pager nextCursor={page.data.nextCursor} param="venuesCursor" label="venues" />
          </>
        ))}
    </section>
  );
}
