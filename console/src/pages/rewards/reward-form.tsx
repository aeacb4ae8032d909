import type { FormEvent } from 'react';
import type { FieldErrors } from '../../api/problem';
import { CheckboxField, NumberField, SelectField, TextAreaField, TextField } from '../../components/fields';
import { CodePreview } from './code-preview';
import { IncentivesEditor } from './incentives-editor';
import type { RewardDraft } from './reward-draft';

const CODE_TYPES = [
  { value: 'ONE_TIME', label: 'One-time codes, generated' },
  { value: 'POOL', label: 'Codes from a partner pool' },
  { value: 'STATIC', label: 'One static code for everyone' },
] as const;

const FLOWS = [
  { value: 'ONE_STEP', label: 'One step: the code at purchase' },
  { value: 'TWO_STEP', label: 'Two steps: purchase, then reveal' },
] as const;

/** Every setting of a reward; the code type is fixed once the reward exists. */
export function RewardForm({
  draft,
  onChange,
  onSubmit,
  errors,
  busy,
  editing,
  liveCodes,
}: {
  draft: RewardDraft;
  onChange(draft: RewardDraft): void;
  onSubmit(): void;
  errors: FieldErrors;
  busy: boolean;
  editing: boolean;
  liveCodes: number | null;
}) {
  const set = <K extends keyof RewardDraft>(field: K) => (value: RewardDraft[K]) => onChange({ ...draft, [field]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  const common = { errors };

  return (
    <form onSubmit={submit} noValidate className="reward-form">
      <section className="card">
        <h2>Catalogue</h2>
        <TextField {...common} name="name" label="Name" value={draft.name} onChange={set('name')} required />
        <TextAreaField {...common} name="description" label="Description" value={draft.description} onChange={set('description')} rows={2} />
        <NumberField {...common} name="pricePoints" label="Price in points" value={draft.pricePoints} onChange={set('pricePoints')} required />
        <CheckboxField {...common} name="purchasable" label="Members can buy it" checked={draft.purchasable} onChange={set('purchasable')} hint="Off: it can only be given." />
      </section>

      <section className="card">
        <h2>Codes</h2>
        <SelectField
          {...common}
          name="codeType"
          label="Code type"
          value={draft.codeType}
          options={CODE_TYPES}
          onChange={set('codeType')}
          disabled={editing}
          hint={editing ? 'The code type cannot change.' : undefined}
        />
        {draft.codeType === 'ONE_TIME' && (
          <div className="with-preview">
            <div>
              <TextField
                {...common}
                name="codeFormat"
                label="Code format"
                value={draft.codeFormat}
                onChange={set('codeFormat')}
                spellCheck={false}
                hint="{code} stands for the random part, e.g. PROMO-{code}"
              />
              <NumberField {...common} name="codeLength" label="Random symbols" value={draft.codeLength} onChange={set('codeLength')} hint="6 to 32; 8 gives 40 bits" />
            </div>
            <CodePreview format={draft.codeFormat} length={Number(draft.codeLength)} liveCodes={liveCodes} />
          </div>
        )}
        {draft.codeType === 'STATIC' && (
          <TextField {...common} name="staticCode" label="Static code" value={draft.staticCode} onChange={set('staticCode')} spellCheck={false} />
        )}
        {draft.codeType === 'POOL' && (
          <NumberField
            {...common}
            name="lowStockThreshold"
            label="Low-stock threshold"
            value={draft.lowStockThreshold}
            onChange={set('lowStockThreshold')}
            hint="CODE_POOL_LOW is emitted when the pool falls to this many codes."
          />
        )}
        <SelectField {...common} name="redemptionFlow" label="Redemption" value={draft.redemptionFlow} options={FLOWS} onChange={set('redemptionFlow')} />
      </section>

      <section className="card">
        <h2>Availability and limits</h2>
        <div className="grid-2">
          <TextField {...common} name="availableFrom" label="On sale from" type="datetime-local" value={draft.availableFrom} onChange={set('availableFrom')} />
          <TextField {...common} name="availableUntil" label="On sale until" type="datetime-local" value={draft.availableUntil} onChange={set('availableUntil')} />
          <NumberField {...common} name="validityDays" label="Valid for (days)" value={draft.validityDays} onChange={set('validityDays')} hint="From when the code is issued." />
          <TextField {...common} name="validUntil" label="Valid until" type="datetime-local" value={draft.validUntil} onChange={set('validUntil')} hint="The earlier of the two wins." />
          {draft.codeType !== 'POOL' && (
            <NumberField {...common} name="stock" label="Stock" value={draft.stock} onChange={set('stock')} hint="Empty: unlimited." />
          )}
          <NumberField {...common} name="perUserLimit" label="Per member" value={draft.perUserLimit} onChange={set('perUserLimit')} hint="Empty: no limit." />
        </div>
        <TextField {...common} name="venues" label="Venues" value={draft.venues} onChange={set('venues')} hint="Venue ids, separated by commas. Empty: anywhere." />
      </section>

      <IncentivesEditor incentives={draft.incentives} onChange={set('incentives')} errors={errors} />

      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : editing ? 'Save changes' : 'Create reward'}
        </button>
      </div>
    </form>
  );
}
