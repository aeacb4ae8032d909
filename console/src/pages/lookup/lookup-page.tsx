import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { type Validation, api, unwrap } from '../../api/client';
import { ApiError } from '../../api/problem';
import { TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { StatusBadge } from '../../components/status-badge';
import { formatMoney } from '../../format/money';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { reasonText } from '../till/reasons';
import { Table } from '../../components/table';

/** Everything about one code, for the support desk: voucher, member, reward and every validation. */
async function lookUp(code: string, signal: AbortSignal) {
  let found;
  try {
    found = await unwrap(api.GET('/v1/vouchers/lookup', { params: { query: { code } }, signal }));
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 404) return null;
    throw error;
  }
  const [voucher, member, reward] = await Promise.all([
    unwrap(api.GET('/v1/vouchers/{id}', { params: { path: { id: found.id } }, signal })),
    unwrap(api.GET('/v1/users/{id}', { params: { path: { id: found.userId } }, signal })),
    unwrap(api.GET('/v1/rewards/{id}', { params: { path: { id: found.rewardId } }, signal })),
  ]);
  return { voucher, member, reward };
}

export function LookupPage() {
  const [query, update] = useQuery();
  const code = query.get('code') ?? '';
  const [typed, setTyped] = useState(code);
  const result = useLoad(async (signal) => (code ? lookUp(code, signal) : undefined), [code]);
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    update({ code: typed.trim() || undefined });
  };

  const voidVoucher = async (id: string) => {
    if (!window.confirm('Void this voucher? It can no longer be used, and no points are given back.')) return;
    if (await action.run(() => unwrap(api.POST('/v1/vouchers/{id}/void', { params: { path: { id } }, body: {} })))) result.reload();
  };
  const reverse = async (validation: Validation) => {
    if (!window.confirm('Reverse this burn? The voucher becomes usable again.')) return;
    const done = await action.run(() => unwrap(api.POST('/v1/voucher-validations/{id}/reversal', { params: { path: { id: validation.id } }, body: {} })));
    if (done) result.reload();
  };

  const found = result.data;
  return (
    <>
      <PageTitle title="Code lookup" />
      <form className="card inline-form" role="search" onSubmit={submit}>
        <TextField name="code" label="Code" value={typed} onChange={setTyped} spellCheck={false} autoComplete="off" hint="Any spelling: case, spaces, dashes, dots, underscores, slashes, O for 0 and I or L for 1 do not matter." />
        <button type="submit">Look up</button>
      </form>
      <ProblemBanner problem={result.problem ?? action.problem} />
      {result.loading && code && <Loading what="the code" />}
      {found === null && !result.loading && (
        <p className="problem" role="status">
          No voucher has the code “{code}”.
        </p>
      )}
      {found && (
        <>
          <section className="card voucher-card">
            <h2>
              <code>{found.voucher.code ?? '(not revealed)'}</code> <StatusBadge status={found.voucher.status} />
            </h2>
            <dl className="details">
              <div>
                <dt>Member</dt>
                <dd>
                  <Link href={`/members/${found.member.id}`}>{found.member.name ?? found.member.externalId}</Link> ({found.member.externalId})
                </dd>
              </div>
              <div>
                <dt>Reward</dt>
                <dd>
                  <Link href={`/rewards/${found.reward.id}`}>{found.reward.name}</Link>
                </dd>
              </div>
              <div>
                <dt>Issued</dt>
                <dd>{formatTime(found.voucher.createdAt)}</dd>
              </div>
              <div>
                <dt>Expires</dt>
                <dd>{formatTime(found.voucher.expiresAt)}</dd>
              </div>
              <div>
                <dt>Burned</dt>
                <dd>{formatTime(found.voucher.burnedAt)}</dd>
              </div>
              <div>
                <dt>Voided</dt>
                <dd>{formatTime(found.voucher.voidedAt)}</dd>
              </div>
            </dl>
            {(found.voucher.status === 'ACTIVE' || found.voucher.status === 'PURCHASED') && (
              <div className="actions">
                <button type="button" className="danger" disabled={action.busy} onClick={() => voidVoucher(found.voucher.id)}>
                  Void voucher
                </button>
              </div>
            )}
          </section>
          <section>
            <h2>Validations</h2>
            {found.voucher.validations.length === 0 ? (
              <p>Never validated.</p>
            ) : (
              <Table headings={['When', 'Outcome', 'Code as sent', 'Venue', 'Reference', 'Discount', 'Actions']}>
                {found.voucher.validations.map((validation) => (
                  <tr key={validation.id}>
                    <td>{formatTime(validation.createdAt)}</td>
                    <td>
                      {validation.burned ? 'Burned' : validation.valid ? 'Valid (not burned)' : reasonText(validation.reason)}
                      {validation.reversedAt && <span className="hint"> · reversed {formatTime(validation.reversedAt)}</span>}
                    </td>
                    <td>
                      <code>{validation.code}</code>
                    </td>
                    <td>{validation.venue ?? '—'}</td>
                    <td>{validation.reference ?? '—'}</td>
                    <td>{validation.discount ? formatMoney(validation.discount.amount, validation.discount.currency) : '—'}</td>
                    <td className="row-actions">
                      {validation.burned && !validation.reversedAt && (
                        <button type="button" className="secondary small" disabled={action.busy} onClick={() => reverse(validation)}>
                          Reverse burn
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </section>
        </>
      )}
    </>
  );
}
