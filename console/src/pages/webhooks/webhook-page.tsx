import { useEffect, useState } from 'react';
import { useLocation, useParams } from 'wouter';
import { type Delivery, api, unwrap } from '../../api/client';
import { PageTitle } from '../../components/page-title';
import { Pager } from '../../components/pager';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading } from '../../components/progress';
import { StatusBadge } from '../../components/status-badge';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useLoad } from '../../hooks/use-load';
import { useQuery } from '../../hooks/use-query';
import { Table } from '../../components/table';

const REFRESH_EVERY_MS = 3_000;

export function WebhookPage() {
  const { id } = useParams<{ id: string }>();
  const [, navigate] = useLocation();
  const [query] = useQuery();
  const cursor = query.get('cursor') ?? undefined;
  const webhook = useLoad((signal) => unwrap(api.GET('/v1/webhooks/{id}', { params: { path: { id } }, signal })), [id]);
  const deliveries = useLoad(
    (signal) => unwrap(api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { cursor } }, signal })),
    [id, cursor],
  );
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  // Deliveries change on their own (retries, answers): read them again every few seconds.
  useEffect(() => {
    const timer = window.setInterval(deliveries.reload, REFRESH_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [deliveries.reload]);

  const test = async () => {
    const sent = await action.run(() => unwrap(api.POST('/v1/webhooks/{id}/test', { params: { path: { id } }, body: {} })));
    if (sent) {
      setNotice(`A test message (${sent.eventId}) is on its way.`);
    }
  };
  const remove = async () => {
    if (!window.confirm('End this subscription? Its pending deliveries are dropped.')) return;
    const response = await action.run(async () => {
      await unwrap(api.DELETE('/v1/webhooks/{id}', { params: { path: { id } }, body: {} }));
      return true;
    });
    if (response) navigate('/webhooks');
  };
  const retry = async (delivery: Delivery) => {
    const done = await action.run(() => unwrap(api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/retry', { params: { path: { id, deliveryId: delivery.id } }, body: {} })));
    if (done) {
      setNotice('The delivery is queued again.');
      deliveries.reload();
    }
  };

  if (webhook.problem) return <ProblemBanner problem={webhook.problem} />;
  if (!webhook.data) return <Loading what="the webhook" />;

  return (
    <>
      <PageTitle title="Webhook">
        <button type="button" className="secondary" onClick={test} disabled={action.busy}>
          Send a test
        </button>
        <button type="button" className="secondary" onClick={deliveries.reload}>
          Refresh
        </button>
        <button type="button" className="danger" onClick={remove} disabled={action.busy}>
          Delete
        </button>
      </PageTitle>
      <ProblemBanner problem={action.problem} />
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      <section className="card">
        <dl className="details">
          <div>
            <dt>URL</dt>
            <dd>{webhook.data.url}</dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{webhook.data.eventTypes.join(', ')}</dd>
          </div>
          <div>
            <dt>Description</dt>
            <dd>{webhook.data.description ?? '—'}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(webhook.data.createdAt)}</dd>
          </div>
        </dl>
      </section>
      <section>
        <h2>Deliveries</h2>
        <ProblemBanner problem={deliveries.problem} />
        {deliveries.data &&
          (deliveries.data.data.length === 0 ? (
            <p>Nothing delivered yet.</p>
          ) : (
            <Table headings={['Event', 'Status', 'Attempts', 'Next attempt', 'Actions']}>
              {deliveries.data.data.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <code>{delivery.eventType}</code>
                    <br />
                    <small className="hint">{formatTime(delivery.createdAt)}</small>
                  </td>
                  <td>
                    <StatusBadge status={delivery.status} />
                  </td>
                  <td>
                    <ol className="attempts">
                      {delivery.attempts.map((attempt) => (
                        <li key={attempt.attempt}>
                          {formatTime(attempt.at)}: {attempt.statusCode ?? 'no answer'} in {attempt.durationMs} ms{attempt.error ? ` (${attempt.error})` : ''}
                        </li>
                      ))}
                    </ol>
                  </td>
                  <td>{formatTime(delivery.nextAttemptAt)}</td>
                  <td className="row-actions">
                    {delivery.status === 'FAILED' && (
                      <button type="button" className="secondary small" disabled={action.busy} onClick={() => retry(delivery)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          ))}
        {deliveries.data && <Pager nextCursor={deliveries.data.nextCursor} label="deliveries" />}
      </section>
    </>
  );
}
