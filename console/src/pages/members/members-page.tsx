import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, unwrap } from '../../api/client';
import { TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { useSessionState } from '../../hooks/use-session-state';
import { Table } from '../../components/table';

export function MembersPage() {
  const [query, update] = useQuery();
  const externalId = query.get('externalId') ?? '';
  const cursor = query.get('cursor') ?? undefined;
  const [search, setSearch] = useState(externalId);
  const members = useLoad(
    (signal) => unwrap(api.GET('/v1/users', { params: { query: { cursor, externalId: externalId || undefined } }, signal })),
    [cursor, externalId],
  );

  const find = (event: FormEvent) => {
    event.preventDefault();
    update({ externalId: search.trim() || undefined, cursor: undefined });
  };

  return (
    <>
      <PageTitle title="Members" />
      <div className="grid-2">
        <form className="card" role="search" onSubmit={find}>
          <h2>Find a member</h2>
          <TextField name="find" label="Your id for the member (externalId)" value={search} onChange={setSearch} />
          <div className="actions">
            <button type="submit">Find</button>
            {externalId && (
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setSearch('');
                  update({ externalId: undefined, cursor: undefined });
                }}
              >
                Show all
              </button>
            )}
          </div>
        </form>
        <NewMember />
      </div>
      <section>
        <h2>{externalId ? `Members with externalId “${externalId}”` : 'All members'}</h2>
        <ProblemBanner problem={members.problem} />
        {members.loading && <Loading what="members" />}
        {members.data && (
          <>
            {members.data.data.length === 0 ? (
              <p>No member found.</p>
            ) : (
              <Table headings={['externalId', 'Name', 'Email', 'Balance', 'Joined']}>
                {members.data.data.map((member) => (
                  <tr key={member.id}>
                    <td>
                      <Link href={`/members/${member.id}`}>{member.externalId}</Link>
                    </td>
                    <td>{member.name ?? '—'}</td>
                    <td>{member.email ?? '—'}</td>
                    <td>{member.balance.toLocaleString()} pts</td>
                    <td>{formatTime(member.createdAt)}</td>
                  </tr>
                ))}
              </Table>
            )}
            <Pager nextCursor={members.data.nextCursor} label="members" />
          </>
        )}
      </section>
    </>
  );
}

const NO_MEMBER = { externalId: '', email: '', name: '' };

function NewMember() {
  const [, navigate] = useLocation();
  const [draft, setDraft] = useSessionState('member.new', NO_MEMBER);
  const action = useAction();
  const set = (field: keyof typeof NO_MEMBER) => (value: string) => setDraft({ ...draft, [field]: value });

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = { externalId: draft.externalId.trim(), ...(draft.email.trim() && { email: draft.email.trim() }), ...(draft.name.trim() && { name: draft.name.trim() }) };
    const member = await action.run(() => unwrap(api.POST('/v1/users', { body })));
    if (!member) return;
    setDraft(NO_MEMBER);
    navigate(`/members/${member.id}`);
  };

  return (
    <form className="card" onSubmit={create} noValidate>
      <h2>New member</h2>
      <ProblemBanner problem={action.problem} />
      <TextField name="externalId" label="externalId" value={draft.externalId} onChange={set('externalId')} errors={action.errors} hint="Your own id for them, e.g. the CRM's" />
      <TextField name="email" label="Email" type="email" value={draft.email} onChange={set('email')} errors={action.errors} />
      <TextField name="name" label="Name" value={draft.name} onChange={set('name')} errors={action.errors} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create member'}
      </button>
    </form>
  );
}
