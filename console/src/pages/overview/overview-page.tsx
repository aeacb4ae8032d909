import { useState } from 'react';
import { Link } from 'wouter';
import { allRewards, rewardNames } from '../../api/all-rewards';
import { api, unwrap } from '../../api/client';
import { readAll } from '../../api/read-all';
import { SelectField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { ProgressBar } from '../../components/progress';
import { Stat } from '../../components/stat';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { type Totals, computeOverview } from './compute-overview';
import { DayChart } from './day-chart';
import { Table } from '../../components/table';

// 50 pages of 200: the overview counts up to 10,000 vouchers and 10,000 purchase events of each kind.
const MAX_PAGES = 50;

export function OverviewPage() {
  const [query, update] = useQuery();
  const rewardId = query.get('reward') ?? undefined;
  const [read, setRead] = useState({ vouchers: 0, events: 0 });
  const rewards = useLoad((signal) => allRewards(signal), []);

  const figures = useLoad(
    async (signal) => {
      setRead({ vouchers: 0, events: 0 });
      const eventsOf = (type: 'PURCHASED_REWARD' | 'PURCHASE_REFUNDED') =>
        readAll((cursor) => unwrap(api.GET('/v1/events', { params: { query: { limit: 200, cursor, type } }, signal })), {
          maxPages: MAX_PAGES,
          signal,
          onProgress: (n) => setRead((r) => ({ ...r, events: Math.max(r.events, n) })),
        });
      const [vouchers, purchases, refunds] = await Promise.all([
        readAll((cursor) => unwrap(api.GET('/v1/vouchers', { params: { query: { limit: 200, cursor, rewardId } }, signal })), {
          maxPages: MAX_PAGES,
          signal,
          onProgress: (n) => setRead((r) => ({ ...r, vouchers: n })),
        }),
        eventsOf('PURCHASED_REWARD'),
        eventsOf('PURCHASE_REFUNDED'),
      ]);
      const events = [...purchases.items, ...refunds.items].filter((event) => !rewardId || event.data.rewardId === rewardId);
      return {
        overview: computeOverview(vouchers.items, events),
        capped: vouchers.capped || purchases.capped || refunds.capped,
      };
    },
    [rewardId],
  );

  const names = rewardNames(rewards.data ?? []);
  const overview = figures.data?.overview;

  return (
    <>
      <PageTitle title="Overview" />
      <div className="toolbar">
        <SelectField
          name="reward"
          label="Reward"
          value={rewardId ?? ''}
          onChange={(value) => update({ reward: value || undefined })}
          options={[{ value: '', label: 'All rewards' }, ...(rewards.data ?? []).map((reward) => ({ value: reward.id, label: reward.name }))]}
        />
      </div>
      <ProblemBanner problem={figures.problem} />
      {figures.loading && (
        <ProgressBar label="Counting…" text={`${read.vouchers.toLocaleString()} vouchers and ${read.events.toLocaleString()} purchase events read`} />
      )}
      {overview && !figures.loading && (
        <>
          {figures.data?.capped && (
            <p className="note" role="note">
              This program is large: the figures count the first {(MAX_PAGES * 200).toLocaleString()} vouchers and purchase events only.
            </p>
          )}
          <dl className="stats">
            <Stat label="Vouchers issued" value={overview.totals.issued} />
            <Stat label="Burned" value={overview.totals.burned} />
            <Stat label="Expired" value={overview.totals.expired} />
            <Stat
              label="Redemption rate"
              value={overview.redemptionRate === null ? '—' : `${(overview.redemptionRate * 100).toFixed(1)}%`}
              hint="burned ÷ issued"
            />
            <Stat label="Points spent" value={overview.pointsSpent} hint={`${overview.pointsSpentLast30Days.toLocaleString()} in the last 30 days, net of refunds`} />
          </dl>
          <DayChart days={overview.days} />
          {!rewardId && overview.byReward.size > 0 && <ByReward byReward={overview.byReward} names={names} />}
        </>
      )}
    </>
  );
}

function ByReward({ byReward, names }: { byReward: Map<string, Totals>; names: Map<string, string> }) {
  return (
    <section>
      <h2>By reward</h2>
      <Table headings={['Reward', 'Issued', 'Burned', 'Expired', 'Voided', 'Redemption rate']}>
        {[...byReward].map(([id, totals]) => (
          <tr key={id}>
            <td>
              <Link href={`/rewards/${id}`}>{names.get(id) ?? id}</Link>
            </td>
            <td>{totals.issued}</td>
            <td>{totals.burned}</td>
            <td>{totals.expired}</td>
            <td>{totals.voided}</td>
            <td>{totals.issued ? `${((totals.burned / totals.issued) * 100).toFixed(1)}%` : '—'}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
