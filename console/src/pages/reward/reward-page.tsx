import { Link, useParams } from 'wouter';
import { type VoucherStatus, api, unwrap } from '../../api/client';
import { SelectField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { Stat } from '../../components/stat';
import { StatusBadge } from '../../components/status-badge';
import { VoucherTable } from '../../components/voucher-table';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { PoolUpload } from './pool-upload';
import { RewardDetails } from './reward-details';

const STATUSES = [
  { value: '', label: 'Any' },
  ...(['ACTIVE', 'PURCHASED', 'BURNED', 'EXPIRED', 'VOIDED'] as const).map((value) => ({ value, label: value })),
];

export function RewardPage() {
  const { id } = useParams<{ id: string }>();
  const reward = useLoad((signal) => unwrap(api.GET('/v1/rewards/{id}', { params: { path: { id } }, signal })), [id]);
  const archive = useAction();

  const onArchive = async () => {
    if (!window.confirm('Archive this reward? Nothing more can be bought; vouchers already issued stay valid.')) return;
    const done = await archive.run(() => unwrap(api.POST('/v1/rewards/{id}/archive', { params: { path: { id } }, body: {} })));
    if (done) reward.reload();
  };

  if (reward.problem) return <ProblemBanner problem={reward.problem} />;
  if (!reward.data) return <Loading what="the reward" />;
  const current = reward.data;

  return (
    <>
      <PageTitle title={current.name}>
        <StatusBadge status={current.status} />
        <Link href={`/rewards/${id}/edit`} className="button secondary">
          Edit
        </Link>
        {current.status === 'ACTIVE' && (
          <button type="button" className="danger" onClick={onArchive} disabled={archive.busy}>
            Archive
          </button>
        )}
      </PageTitle>
      <ProblemBanner problem={archive.problem} />
      <section className="card">
        <RewardDetails reward={current} />
      </section>
      {current.codeType === 'POOL' && (
        <div className="grid-2">
          <PoolSummaryCard rewardId={id} version={current.updatedAt + String(current.stock)} />
          <PoolUpload rewardId={id} onUploaded={reward.reload} />
        </div>
      )}
      <RewardVouchers rewardId={id} />
    </>
  );
}

function PoolSummaryCard({ rewardId, version }: { rewardId: string; version: string }) {
  const summary = useLoad((signal) => unwrap(api.GET('/v1/rewards/{id}/codes/summary', { params: { path: { id: rewardId } }, signal })), [rewardId, version]);
  return (
    <section className="card">
      <h2>Code pool</h2>
      <ProblemBanner problem={summary.problem} />
      {summary.data ? (
        <dl className="stats">
          <Stat label="Available" value={summary.data.available} />
          <Stat label="Issued" value={summary.data.issued} />
          <Stat label="Total" value={summary.data.total} />
        </dl>
      ) : (
        <Loading what="the pool" />
      )}
    </section>
  );
}

function RewardVouchers({ rewardId }: { rewardId: string }) {
  const [query, update] = useQuery();
  const cursor = query.get('cursor') ?? undefined;
  const status = (query.get('status') ?? '') as VoucherStatus | '';
  const vouchers = useLoad(
    (signal) => unwrap(api.GET('/v1/vouchers', { params: { query: { rewardId, cursor, status: status || undefined } }, signal })),
    [rewardId, cursor, status],
  );
  return (
    <section>
      <h2>Vouchers</h2>
      <div className="toolbar">
        <SelectField name="status" label="Status" value={status} options={STATUSES} onChange={(value) => update({ status: value, cursor: undefined })} />
      </div>
      <ProblemBanner problem={vouchers.problem} />
      {vouchers.loading && <Loading what="vouchers" />}
      {vouchers.data && (
        <>
          <VoucherTable vouchers={vouchers.data.data} show="member" />
          <Pager nextCursor={vouchers.data.nextCursor} label="vouchers" />
        </>
      )}
    </section>
  );
}
