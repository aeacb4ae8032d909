import { type FormEvent, useState } from 'react';
import { rewardNames } from '../../api/all-rewards';
import type { ListedVoucher, Reward } from '../../api/client';
import { api, unwrap } from '../../api/client';
import { NumberField, SelectField, TextField } from '../../components/fields';
import { FormScope } from '../../components/form-scope';
import { ProblemBanner } from '../../components/problem-banner';
import { typedWhole } from '../../format/typed-number';
import { useAction } from '../../hooks/use-action';
import { useSessionState } from '../../hooks/use-session-state';

/** Credit or debit points. */
export function AdjustPoints({ userId, onDone }: { userId: string; onDone(): void }) {
  const [draft, setDraft] = useSessionState(`member.${userId}.points`, { delta: '', reason: '' });
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // A blank field is left out, and the API answers that delta is required.
    const body = { delta: typedWhole(draft.delta) as number, reason: draft.reason };
    const entry = await action.run(() => unwrap(api.POST('/v1/users/{id}/points', { params: { path: { id: userId } }, body })));
    if (!entry) return;
    setDraft({ delta: '', reason: '' });
    onDone();
  };
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h3>Adjust points</h3>
      <ProblemBanner problem={action.problem} />
      <NumberField name="delta" label="Points" inputMode="text" value={draft.delta} onChange={(delta) => setDraft({ ...draft, delta })} errors={action.errors} hint="Negative to debit, e.g. -50" />
      <TextField name="reason" label="Reason" value={draft.reason} onChange={(reason) => setDraft({ ...draft, reason })} errors={action.errors} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Adjust points'}
      </button>
    </form>
  );
}

/** Buy a reward for the member with their points, or give it to them for nothing. */
export function RewardAction({ userId, rewards, mode, onDone }: { userId: string; rewards: Reward[]; mode: 'buy' | 'give'; onDone(): void }) {
  const [rewardId, setRewardId] = useState('');
  const [comment, setComment] = useState('');
  const [issued, setIssued] = useState<ListedVoucher | null>(null);
  const action = useAction();
  const chosen = rewardId || rewards[0]?.id || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setIssued(null);
    const voucher = await action.run(async () => {
      const path = { id: userId };
      if (mode === 'buy') return (await unwrap(api.POST('/v1/users/{id}/purchases', { params: { path }, body: { rewardId: chosen } }))).voucher;
      return unwrap(api.POST('/v1/users/{id}/gifts', { params: { path }, body: { rewardId: chosen, ...(comment.trim() && { comment: comment.trim() }) } }));
    });
    if (!voucher) return;
    setIssued(voucher);
    setComment('');
    onDone();
  };

  const names = rewardNames(rewards);
  return (
    <FormScope name={mode}>
      <form className="card" onSubmit={submit} noValidate>
        <h3>{mode === 'buy' ? 'Buy a reward for them' : 'Give a voucher'}</h3>
        <ProblemBanner problem={action.problem} />
        <SelectField
          name="rewardId"
          label="Reward"
          value={chosen}
          onChange={setRewardId}
          errors={action.errors}
          options={rewards.map((reward) => ({ value: reward.id, label: mode === 'buy' ? `${reward.name} — ${reward.pricePoints.toLocaleString()} pts` : reward.name }))}
        />
        {mode === 'give' && <TextField name="comment" label="Comment" value={comment} onChange={setComment} errors={action.errors} hint="Why: kept with the event" />}
        <button type="submit" disabled={action.busy || !chosen}>
          {action.busy ? 'Working…' : mode === 'buy' ? 'Buy with their points' : 'Give voucher'}
        </button>
        {issued && (
          <p className="success" role="status">
            {mode === 'buy' ? 'Bought' : 'Gave'} {names.get(issued.rewardId) ?? issued.rewardId}: {issued.code ? <code>{issued.code}</code> : 'the code comes at reveal'} ({issued.status})
          </p>
        )}
      </form>
    </FormScope>
  );
}
