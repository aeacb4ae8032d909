import { type FormEvent, useState } from 'react';
import { type TillAnswer, api, unwrap } from '../../api/client';
import { TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';
import { ProblemBanner } from '../../components/problem-banner';
import { moneyText } from '../../format/money';
import { useAction } from '../../hooks/use-action';
import { useSessionState } from '../../hooks/use-session-state';
import { EMPTY_TILL, type TillDraft, linesTotal, tillRequest } from './basket';
import { TillAnswerView } from './till-answer';

/** What a point of sale does with a code: check it, or burn it, with an optional venue and basket. */
export function TillPage() {
  const [draft, setDraft] = useSessionState<TillDraft>('till', EMPTY_TILL);
  const [answer, setAnswer] = useState<{ answer: TillAnswer; dryRun: boolean } | null>(null);
  const action = useAction();
  const set = (field: keyof Omit<TillDraft, 'items'>) => (value: string) => setDraft({ ...draft, [field]: value });
  const setLine = (index: number, changes: Partial<TillDraft['items'][number]>) =>
    setDraft({ ...draft, items: draft.items.map((line, i) => (i === index ? { ...line, ...changes } : line)) });

  const send = async (dryRun: boolean) => {
    setAnswer(null);
    const result = await action.run(() => unwrap(api.POST('/v1/voucher-validations', { body: tillRequest(draft, dryRun) })));
    if (result) setAnswer({ answer: result, dryRun });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send(false);
  };
  const sum = linesTotal(draft);

  return (
    <>
      <PageTitle title="Till">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft({ ...EMPTY_TILL, venue: draft.venue, currency: draft.currency });
            setAnswer(null);
            action.clear();
          }}
        >
          Next customer
        </button>
      </PageTitle>
      <div className="till">
        <form className="card" onSubmit={submit} noValidate>
          <TextField name="code" label="Code" value={draft.code} onChange={set('code')} errors={action.errors} autoComplete="off" spellCheck={false} className="code-input" autoFocus />
          <div className="grid-2">
            <TextField name="venue" label="Venue (optional)" value={draft.venue} onChange={set('venue')} errors={action.errors} />
            <TextField name="reference" label="Transaction reference (optional)" value={draft.reference} onChange={set('reference')} errors={action.errors} hint="Makes a retried burn safe" />
          </div>
          <TextField name="userId" label="Member (optional)" value={draft.userId} onChange={set('userId')} errors={action.errors} hint="usr_… or externalId: the voucher must be theirs" />
          <fieldset>
            <legend>Basket (optional)</legend>
            <div className="grid-2">
              <TextField name="basket/currency" label="Currency" value={draft.currency} maxLength={3} onChange={(value) => set('currency')(value.toUpperCase())} errors={action.errors} />
              <TextField
                name="basket/total"
                label="Basket total"
                inputMode="decimal"
                value={draft.total}
                onChange={set('total')}
                errors={action.errors}
                placeholder={sum !== null && draft.items.length > 0 ? moneyText(sum, draft.currency || 'GBP') : ''}
                hint="Before this voucher; empty: the sum of the lines"
              />
            </div>
            {draft.items.map((line, index) => (
              <div className="basket-line" key={index} role="group" aria-label={`Line ${index + 1}`}>
                <TextField name={`basket/items/${index}/sku`} label="SKU" value={line.sku} onChange={(sku) => setLine(index, { sku })} errors={action.errors} />
                <TextField name={`basket/items/${index}/quantity`} label="Quantity" inputMode="numeric" value={line.quantity} onChange={(quantity) => setLine(index, { quantity })} errors={action.errors} />
                <TextField name={`basket/items/${index}/unitPrice`} label="Unit price" inputMode="decimal" value={line.unitPrice} onChange={(unitPrice) => setLine(index, { unitPrice })} errors={action.errors} />
                <button type="button" className="secondary small" onClick={() => setDraft({ ...draft, items: draft.items.filter((_, i) => i !== index) })}>
                  Remove line {index + 1}
                </button>
              </div>
            ))}
            <button type="button" className="secondary" onClick={() => setDraft({ ...draft, items: [...draft.items, { sku: '', quantity: '1', unitPrice: '' }] })}>
              Add a line
            </button>
          </fieldset>
          <div className="actions">
            <button type="button" className="secondary" disabled={action.busy} onClick={() => void send(true)}>
              Check
            </button>
            <button type="submit" disabled={action.busy}>
              Burn
            </button>
          </div>
        </form>
        <div>
          <ProblemBanner problem={action.problem} />
          {answer ? <TillAnswerView answer={answer.answer} dryRun={answer.dryRun} /> : <p className="hint">The answer appears here, as the till would show it.</p>}
        </div>
      </div>
    </>
  );
}
