import { EVENT_TYPES, type EventType } from '../../api/client';
import { type FieldErrors, errorFor, fieldId } from '../../api/problem';

/** Checkboxes for the event types a webhook subscribes to. */
export function EventTypePicker({ value, onChange, errors }: { value: EventType[]; onChange(value: EventType[]): void; errors: FieldErrors }) {
  const error = errorFor(errors, 'eventTypes');
  return (
    <fieldset className={error ? 'field-invalid checks' : 'checks'} id={fieldId('eventTypes')}>
      <legend>Event types</legend>
      {EVENT_TYPES.map((type) => (
        <label key={type} className="check">
          <input
            type="checkbox"
            checked={value.includes(type)}
            onChange={(event) => onChange(event.target.checked ? [...value, type] : value.filter((t) => t !== type))}
          />
          <code>{type}</code>
        </label>
      ))}
      {error && <small className="field-error">{error}</small>}
    </fieldset>
  );
}
