import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { EVENT_TYPES, type EventType, type LogEvent } from '../../api/client';
import { fieldErrors } from '../../api/problem';
import { CheckboxField, SelectField, TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { Loading, ProgressBar } from '../../components/progress';
import { formatTime } from '../../format/time';
import { useAction } from '../../hooks/use-action';
import { useQuery } from '../../hooks/use-query';
import { useSessionState } from '../../hooks/use-session-state';
import { lastPageCursor, useFollowedEvents } from './follow-events';
import { Table } from '../../components/table';

export function EventsPage() {
  const [query, update] = useQuery();
  const type = (query.get('type') ?? undefined) as EventType | undefined;
  const userId = query.get('userId') ?? undefined;
  const cursor = query.get('cursor') ?? undefined;
  const [follow, setFollow] = useSessionState('events.follow', true);
  const [member, setMember] = useState(userId ?? '');
  const [pagesRead, setPagesRead] = useState(0);
  const log = useFollowedEvents({ type, userId }, cursor, follow);
  const jump = useAction();

  const filter = (event: FormEvent) => {
    event.preventDefault();
    update({ userId: member.trim() || undefined, cursor: undefined });
  };
  const toLatest = async () => {
    setPagesRead(0);
    const start = await jump.run(() => lastPageCursor({ type, userId }, cursor, setPagesRead));
    if (start !== undefined && start !== cursor) update({ cursor: start });
  };

  return (
    <>
      <PageTitle title="Events" />
      <form className="toolbar" onSubmit={filter} role="search">
        <SelectField
          name="type"
          label="Type"
          value={type ?? ''}
          options={[{ value: '', label: 'All types' }, ...EVENT_TYPES.map((t) => ({ value: t, label: t }))]}
          onChange={(value) => update({ type: value || undefined, cursor: undefined })}
        />
        <TextField name="userId" label="Member id" value={member} onChange={setMember} placeholder="usr_…" errors={fieldErrors(log.problem)} />
        <button type="submit" className="secondary">
          Filter
        </button>
        <CheckboxField name="follow" label="Follow new events" checked={follow} onChange={setFollow} />
      </form>
      <ProblemBanner problem={log.problem ?? jump.problem} />
      {log.loading && <Loading what="events" />}
      {jump.busy && <ProgressBar label="Finding the latest events…" text={`${pagesRead} pages read`} />}
      <p className="hint" aria-live="polite">
        Oldest first.{' '}
        {log.hasMore ? 'There are newer events on the next pages.' : follow ? 'Following: new events appear at the bottom as they happen.' : 'These are the latest events.'}
      </p>
      <EventList events={log.events} fresh={log.fresh} />
      <nav className="pager" aria-label="Pages of the event log">
        <button type="button" className="secondary" disabled={!cursor} onClick={() => update({ cursor: undefined })}>
          First page
        </button>
        <button type="button" disabled={!log.hasMore} onClick={() => update({ cursor: log.nextCursor ?? undefined })}>
          Next page
        </button>
        <button type="button" className="secondary" disabled={!log.hasMore || jump.busy} onClick={toLatest}>
          Latest
        </button>
      </nav>
    </>
  );
}

function summary(event: LogEvent): string {
  return Object.entries(event.data)
    .filter(([, value]) => value !== null && typeof value !== 'object')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(' · ');
}

function EventList({ events, fresh }: { events: LogEvent[]; fresh: ReadonlySet<string> }) {
  if (events.length === 0) return <p>No events yet.</p>;
  return (
    <Table headings={['When', 'Type', 'Member', 'Data']} className="events">
      {events.map((event) => (
        <tr key={event.id} className={fresh.has(event.id) ? 'fresh' : undefined}>
          <td>{formatTime(event.occurredAt)}</td>
          <td>
            <code>{event.type}</code>
          </td>
          <td>{event.userId ? <Link href={`/members/${event.userId}`}>{event.userId}</Link> : '—'}</td>
          <td className="event-data">
            <details>
              <summary>{summary(event)}</summary>
              <pre>{JSON.stringify(event.data, null, 2)}</pre>
            </details>
          </td>
        </tr>
      ))}
    </Table>
  );
}
