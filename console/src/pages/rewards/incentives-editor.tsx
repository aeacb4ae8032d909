import type { FieldErrors } from '../../api/problem';
import { SelectField, TextField } from '../../components/fields';
import { type IncentiveDraft, NEW_INCENTIVE, isMoney } from './reward-draft';

const TYPES = [
  { value: 'PERCENTAGE', label: 'Percentage off' },
  { value: 'AMOUNT_OFF', label: 'Amount off' },
  { value: 'PRICE_OVERRIDE', label: 'Price override' },
] as const;

/** What a voucher is worth at the till: a list of incentives, each a row of fields. */
export function IncentivesEditor({
  incentives,
  onChange,
  errors,
}: {
  incentives: IncentiveDraft[];
  onChange(incentives: IncentiveDraft[]): void;
  errors: FieldErrors;
}) {
  const set = (index: number, changes: Partial<IncentiveDraft>) =>
    onChange(incentives.map((incentive, i) => (i === index ? { ...incentive, ...changes } : incentive)));
  const listError = errors.get('incentives');

  return (
    <fieldset className="incentives">
      <legend>Incentives</legend>
      {listError && <p className="field-error">{listError}</p>}
      {incentives.length === 0 && <p className="hint">None yet: the till gets no discount from this voucher.</p>}
      {incentives.map((incentive, index) => {
        const path = `incentives/${index}`;
        const money = isMoney(incentive.type);
        return (
          <div className="incentive" key={index} role="group" aria-label={`Incentive ${index + 1}`}>
            <SelectField
              name={`${path}/type`}
              label="Type"
              value={incentive.type}
              options={TYPES}
              errors={errors}
              onChange={(type) => set(index, { type })}
            />
            <TextField
              name={`${path}/value`}
              label={money ? (incentive.type === 'PRICE_OVERRIDE' ? 'Price' : 'Amount') : 'Percent'}
              inputMode="decimal"
              value={incentive.value}
              errors={errors}
              onChange={(value) => set(index, { value })}
              hint={money ? 'e.g. 4.50' : '1 to 100'}
            />
            <TextField
              name={`${path}/currency`}
              label="Currency"
              value={incentive.currency}
              maxLength={3}
              errors={errors}
              onChange={(currency) => set(index, { currency: currency.toUpperCase() })}
              hint={money ? 'e.g. GBP' : 'with a cap or minimum'}
            />
            <TextField name={`${path}/productSku`} label="Product SKU" value={incentive.productSku} errors={errors} onChange={(productSku) => set(index, { productSku })} />
            <TextField name={`${path}/posSku`} label="POS SKU" value={incentive.posSku} errors={errors} onChange={(posSku) => set(index, { posSku })} />
            <TextField name={`${path}/minSpend`} label="Minimum spend" inputMode="decimal" value={incentive.minSpend} errors={errors} onChange={(minSpend) => set(index, { minSpend })} />
            <TextField name={`${path}/maxDiscount`} label="Maximum discount" inputMode="decimal" value={incentive.maxDiscount} errors={errors} onChange={(maxDiscount) => set(index, { maxDiscount })} />
            <button type="button" className="secondary small" onClick={() => onChange(incentives.filter((_, i) => i !== index))}>
              Remove incentive {index + 1}
            </button>
          </div>
        );
      })}
      <button type="button" className="secondary" onClick={() => onChange([...incentives, { ...NEW_INCENTIVE }])}>
        Add an incentive
      </button>
    </fieldset>
  );
}
