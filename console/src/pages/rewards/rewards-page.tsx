import { Link } from 'wouter';
import { type Reward, api, unwrap } from '../../api/client';
import { SelectField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { StatusBadge } from '../../components/status-badge';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { Table } from '../../components/table';

const STATUSES = [
  { value: '', label: 'All' },
  { value: 'ACTIVE', label: 'Active' },
  { value: 'ARCHIVED', label: 'Archived' },
] as const;

export function RewardsPage() {
  const [query, update] = useQuery();
  const status = (query.get('status') ?? '') as '' | Reward['status'];
  const cursor = query.get('cursor') ?? undefined;
  const page = useLoad(
    (signal) => unwrap(api.GET('/v1/rewards', { params: { query: { cursor, status: status || undefined } }, signal })),
    [cursor, status],
  );

  return (
    <>
      <PageTitle title="Rewards">
        <Link href="/rewards/new" className="button">
          New reward
        </Link>
      </PageTitle>
      <div className="toolbar">
        <SelectField name="status" label="Status" value={status} options={STATUSES} onChange={(value) => update({ status: value, cursor: undefined })} />
      </div>
      <ProblemBanner problem={page.problem} />
      {page.loading && <Loading what="rewards" />}
      {page.data && (
        <>
          {page.data.data.length === 0 ? (
            <p>No rewards yet. <Link href="/rewards/new">Create the first one</Link>.</p>
          ) : (
            <Table headings={['Name', 'Status', 'Codes', 'Price', 'Stock', 'Guessability']}>
              {page.data.data.map((reward) => (
                <tr key={reward.id}>
                  <td>
                    <Link href={`/rewards/${reward.id}`}>{reward.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={reward.status} />
                  </td>
                  <td>{reward.codeType === 'ONE_TIME' ? <code>{reward.codeFormat}</code> : reward.codeType}</td>
                  <td>{reward.pricePoints.toLocaleString()} pts</td>
                  <td>{reward.stock === null ? 'Unlimited' : reward.stock.toLocaleString()}</td>
                  <td>{reward.guessability ? `${reward.guessability.bitsPerCode} bits` : '—'}</td>
                </tr>
              ))}
            </Table>
          )}
          <Pager nextCursor={page.data.nextCursor} label="rewards" />
        </>
      )}
    </>
  );
}
