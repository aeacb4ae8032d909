import { useState } from 'react';
import { useParams } from 'wouter';
import { allRewards, rewardNames } from '../../api/all-rewards';
import { api, type ListedVoucher, unwrap } from '../../api/client';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { VoucherTable } from '../../components/voucher-table';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { AdjustPoints, RewardAction } from './member-actions';
import { Table } from '../../components/table';

export function MemberPage() {
  const { id } = useParams<{ id: string }>();
  // Bumped after every action, so the balance, the ledger and the vouchers are read again.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const member = useLoad((signal) => unwrap(api.GET('/v1/users/{id}', { params: { path: { id } }, signal })), [id, version]);
  const rewards = useLoad((signal) => allRewards(signal, 'ACTIVE'), []);

  if (member.problem && !member.data) return <ProblemBanner problem={member.problem} />;
  if (!member.data) return <Loading what="the member" />;
  const { data } = member;
  const available = rewards.data ?? [];

  return (
    <>
      <PageTitle title={data.name ?? data.externalId} />
      <dl className="stats">
        <div className="stat">
          <dt>Balance</dt>
          <dd data-testid="balance">{data.balance.toLocaleString()} pts</dd>
        </div>
        <div className="stat">
          <dt>externalId</dt>
          <dd className="small-value">{data.externalId}</dd>
        </div>
        <div className="stat">
          <dt>Email</dt>
          <dd className="small-value">{data.email ?? '—'}</dd>
        </div>
        <div className="stat">
          <dt>Member since</dt>
          <dd className="small-value">{formatTime(data.createdAt)}</dd>
        </div>
      </dl>
      <p className="hint">
        Id <code>{data.id}</code>
      </p>
      <div className="grid-3">
        <AdjustPoints userId={id} onDone={changed} />
        <RewardAction userId={id} rewards={available.filter((reward) => reward.purchasable)} mode="buy" onDone={changed} />
        <RewardAction userId={id} rewards={available} mode="give" onDone={changed} />
      </div>
      <MemberVouchers userId={id} version={version} onChanged={changed} names={rewardNames(available)} />
      <Ledger userId={id} version={version} />
    </>
  );
}

function MemberVouchers({ userId, version, onChanged, names }: { userId: string; version: number; onChanged(): void; names: Map<string, string> }) {
  const [query] = useQuery();
  const cursor = query.get('vouchersCursor') ?? undefined;
  const vouchers = useLoad((signal) => unwrap(api.GET('/v1/vouchers', { params: { query: { userId, cursor } }, signal })), [userId, cursor, version]);
  const action = useAction();

  const act = async (what: 'void' | 'refund' | 'reveal', voucher: ListedVoucher) => {
    const questions = {
      void: 'Void this voucher? It can no longer be used, and no points are given back.',
      refund: 'Refund this purchase? The points go back to the member and the voucher is voided.',
      reveal: 'Reveal this voucher? Its code is generated and shown to the member.',
    };
    if (!window.confirm(questions[what])) return;
    const done = await action.run(async () => {
      const path = { id: voucher.id };
      if (what === 'void') return unwrap(api.POST('/v1/vouchers/{id}/void', { params: { path }, body: {} }));
      if (what === 'reveal') return unwrap(api.POST('/v1/vouchers/{id}/reveal', { params: { path }, body: {} }));
      return unwrap(api.POST('/v1/purchases/{id}/refund', { params: { path: { id: voucher.purchaseId ?? '' } }, body: {} }));
    });
    if (done) onChanged();
  };

  return (
    <section>
      <h2>Vouchers</h2>
      <ProblemBanner problem={vouchers.problem ?? action.problem} />
      {vouchers.loading && !vouchers.data && <Loading what="vouchers" />}
      {vouchers.data && (
        <>
          <VoucherTable
            vouchers={vouchers.data.data}
            show="reward"
            names={names}
            actions={(voucher) => (
              <>
                {voucher.status === 'PURCHASED' && (
                  <button type="button" className="secondary small" disabled={action.busy} onClick={() => act('reveal', voucher)}>
                    Reveal
                  </button>
                )}
                {voucher.purchaseId && (voucher.status === 'ACTIVE' || voucher.status === 'PURCHASED' || voucher.status === 'EXPIRED') && (
                  <button type="button" className="secondary small" disabled={action.busy} onClick={() => act('refund', voucher)}>
                    Refund
                  </button>
                )}
                {(voucher.status === 'ACTIVE' || voucher.status === 'PURCHASED') && (
                  <button type="button" className="danger small" disabled={action.busy} onClick={() => act('void', voucher)}>
                    Void
                  </button>
                )}
              </>
            )}
          />
          <Pager nextCursor={vouchers.data.nextCursor} param="vouchersCursor" label="vouchers" />
        </>
      )}
    </section>
  );
}

function Ledger({ userId, version }: { userId: string; version: number }) {
  const [query] = useQuery();
  const cursor = query.get('ledgerCursor') ?? undefined;
  const ledger = useLoad((signal) => unwrap(api.GET('/v1/users/{id}/points', { params: { path: { id: userId }, query: { cursor } }, signal })), [userId, cursor, version]);
  return (
    <section>
      <h2>Points ledger</h2>
      <ProblemBanner problem={ledger.problem} />
      {ledger.loading && !ledger.data && <Loading what="the ledger" />}
      {ledger.data &&
        (ledger.data.entries.length === 0 ? (
          <p>No entries yet.</p>
        ) : (
          <>
            <Table headings={['When', 'Kind', 'Points', 'Balance after', 'Reason']}>
              {ledger.data.entries.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.createdAt)}</td>
                  <td>{entry.kind}</td>
                  <td className={entry.delta < 0 ? 'debit' : 'credit'}>{entry.delta > 0 ? `+${entry.delta}` : entry.delta}</td>
                  <td>{entry.balanceAfter.toLocaleString()}</td>
                  <td>{entry.reason}</td>
                </tr>
              ))}
            </Table>
            <Pager nextCursor={ledger.data.nextCursor} param="ledgerCursor" label="ledger" />
          </>
        ))}
    </section>
  );
}
