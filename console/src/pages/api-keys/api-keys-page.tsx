import { type FormEvent, useState } from 'react';
import { type ApiKey, type Role, api, unwrap } from '../../api/client';
import { SelectField, TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { ShownOnce } from '../../components/shown-once';
import { formatTime, fromLocalInput } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { useSessionState } from '../../hooks/use-session-state';
import { Table } from '../../components/table';

const ROLES: ReadonlyArray<{ value: Role; label: string }> = [
  { value: 'pos', label: 'pos — a till: validates codes' },
  { value: 'app', label: 'app — a member-facing backend' },
  { value: 'admin', label: 'admin — everything' },
];

export function ApiKeysPage() {
  const [query] = useQuery();
  const cursor = query.get('cursor') ?? undefined;
  const keys = useLoad((signal) => unwrap(api.GET('/v1/api-keys', { params: { query: { cursor } }, signal })), [cursor]);
  const revoke = useAction();

  const onRevoke = async (key: ApiKey) => {
    if (!window.confirm(`Revoke “${key.name}”? Everything using it stops working at once.`)) return;
    const done = await revoke.run(async () => {
      await unwrap(api.DELETE('/v1/api-keys/{id}', { params: { path: { id: key.id } }, body: {} }));
      return true;
    });
    if (done) keys.reload();
  };

  return (
    <>
      <PageTitle title="API keys" />
      <NewKey onCreated={keys.reload} />
      <section>
        <h2>Live keys</h2>
        <ProblemBanner problem={keys.problem ?? revoke.problem} />
        {keys.loading && !keys.data && <Loading what="keys" />}
        {keys.data && (
          <>
            <Table headings={['Name', 'Role', 'Venue', 'Starts with', 'Created', 'Last used', 'Expires', 'Actions']}>
              {keys.data.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>{key.role}</td>
                  <td>{key.venue ?? '—'}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{formatTime(key.createdAt)}</td>
                  <td>
                    <LastUsed apiKey={key} />
                  </td>
                  <td>{key.expiresAt ? formatTime(key.expiresAt) : 'never'}</td>
                  <td className="row-actions">
                    <button type="button" className="danger small" disabled={revoke.busy} onClick={() => onRevoke(key)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
            <Pager nextCursor={keys.data.nextCursor} label="keys" />
          </>
        )}
      </section>
    </>
  );
}

/** A key unused this long is marked: a till taken out of service, or a key nobody remembers. */
const QUIET_DAYS = 30;

/** When a key was last used (to within a minute), marked when it has been quiet for a month. */
function LastUsed({ apiKey }: { apiKey: ApiKey }) {
  const since = apiKey.lastUsedAt ?? apiKey.createdAt;
  const quiet = Date.now() - Date.parse(since) > QUIET_DAYS * 86_400_000;
  return (
    <>
      {apiKey.lastUsedAt ? formatTime(apiKey.lastUsedAt) : 'never'}
      {quiet && (
        <>
          {' '}
          <span className="badge badge-quiet">not used for {QUIET_DAYS} days</span>
        </>
      )}
    </>
  );
}

const NO_KEY = { role: 'pos' as Role, name: '', venue: '', expiresAt: '' };

function NewKey({ onCreated }: { onCreated(): void }) {
  const [draft, setDraft] = useSessionState('key.new', NO_KEY);
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const expiresAt = fromLocalInput(draft.expiresAt);
    const body = { role: draft.role, name: draft.name.trim(), ...(draft.venue.trim() && { venue: draft.venue.trim() }), ...(expiresAt && { expiresAt }) };
    const created = await action.run(() => unwrap(api.POST('/v1/api-keys', { body })));
    if (!created) return;
    setDraft(NO_KEY);
    setSecret(created.key);
    onCreated();
  };

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>New key</h2>
      <ProblemBanner problem={action.problem} />
      {secret && <ShownOnce label="The new key:" secret={secret} onDone={() => setSecret(null)} />}
      <div className="grid-3">
        <SelectField name="role" label="Role" value={draft.role} options={ROLES} onChange={(role) => setDraft({ ...draft, role })} errors={action.errors} />
        <TextField name="name" label="Name" value={draft.name} onChange={(name) => setDraft({ ...draft, name })} errors={action.errors} hint="e.g. Till 7" />
        <TextField
          name="venue"
          label="Venue (pos keys)"
          value={draft.venue}
          onChange={(venue) => setDraft({ ...draft, venue })}
          errors={action.errors}
          disabled={draft.role !== 'pos'}
          hint="Its validations then carry this venue"
        />
        <TextField
          name="expiresAt"
          label="Expires (optional)"
          type="datetime-local"
          value={draft.expiresAt}
          onChange={(expiresAt) => setDraft({ ...draft, expiresAt })}
          errors={action.errors}
          hint="After this it is refused; leave empty for a key that never expires"
        />
      </div>
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create key'}
      </button>
    </form>
  );
}
