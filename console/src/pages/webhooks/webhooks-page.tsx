import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { type EventType, type Webhook, api, unwrap } from '../../api/client';
import { TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { ShownOnce } from '../../components/shown-once';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { useSessionState } from '../../hooks/use-session-state';
import { EventTypePicker } from './event-type-picker';
import { Table } from '../../components/table';

export function WebhooksPage() {
  const [query] = useQuery();
  const cursor = query.get('cursor') ?? undefined;
  const webhooks = useLoad((signal) => unwrap(api.GET('/v1/webhooks', { params: { query: { cursor } }, signal })), [cursor]);

  return (
    <>
      <PageTitle title="Webhooks" />
      <NewWebhook onCreated={webhooks.reload} />
      <section>
        <h2>Subscriptions</h2>
        <ProblemBanner problem={webhooks.problem} />
        {webhooks.loading && !webhooks.data && <Loading what="webhooks" />}
        {webhooks.data && (
          <>
            {webhooks.data.data.length === 0 ? <p>No webhooks yet.</p> : <WebhookTable webhooks={webhooks.data.data} />}
            <Pager nextCursor={webhooks.data.nextCursor} label="webhooks" />
          </>
        )}
      </section>
    </>
  );
}

function WebhookTable({ webhooks }: { webhooks: Webhook[] }) {
  return (
    <Table headings={['URL', 'Events', 'Description', 'Created']}>
      {webhooks.map((webhook) => (
        <tr key={webhook.id}>
          <td>
            <Link href={`/webhooks/${webhook.id}`}>{webhook.url}</Link>
          </td>
          <td>{webhook.eventTypes.join(', ')}</td>
          <td>{webhook.description ?? '—'}</td>
          <td>{formatTime(webhook.createdAt)}</td>
        </tr>
      ))}
    </Table>
  );
}

const NO_WEBHOOK = { url: '', description: '', eventTypes: [] as EventType[] };

function NewWebhook({ onCreated }: { onCreated(): void }) {
  const [draft, setDraft] = useSessionState('webhook.new', NO_WEBHOOK);
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { url: draft.url.trim(), eventTypes: draft.eventTypes, ...(draft.description.trim() && { description: draft.description.trim() }) };
    const created = await action.run(() => unwrap(api.POST('/v1/webhooks', { body })));
    if (!created) return;
    setDraft(NO_WEBHOOK);
    setSecret(created.secret);
    onCreated();
  };

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>New webhook</h2>
      <ProblemBanner problem={action.problem} />
      {secret && <ShownOnce label="The signing secret (Standard Webhooks):" secret={secret} onDone={() => setSecret(null)} />}
      <TextField name="url" label="URL" type="url" value={draft.url} onChange={(url) => setDraft({ ...draft, url })} errors={action.errors} hint="https://… where events are POSTed" />
      <TextField name="description" label="Description" value={draft.description} onChange={(description) => setDraft({ ...draft, description })} errors={action.errors} />
      <EventTypePicker value={draft.eventTypes} onChange={(eventTypes) => setDraft({ ...draft, eventTypes })} errors={action.errors} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create webhook'}
      </button>
    </form>
  );
}
