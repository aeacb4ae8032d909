import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react';
import { type FieldErrors, errorFor, fieldId } from '../api/problem';
import { useFormScope } from './form-scope';

interface Shell {
  /** The field's path in the request body ('name', 'incentives/0/value'): its id and its error. */
  name: string;
  label: string;
  errors?: FieldErrors | undefined;
  hint?: ReactNode;
}

/** A label, the control, a hint and the API's message for this field, tied together for screen readers. */
function FieldShell({ name, label, errors, hint, children }: Shell & { children: (aria: Aria) => ReactNode }) {
  const id = fieldId(name, useFormScope());
  const error = errorFor(errors, name, label);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

interface Aria {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

type InputProps = Shell & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'onChange' | 'value'> & {
  value: string;
  onChange(value: string): void;
};

export function TextField({ name, label, errors, hint, value, onChange, ...input }: InputProps) {
  return (
    <FieldShell name={name} label={label} errors={errors} hint={hint}>
      {(aria) => <input {...input} {...aria} name={name} value={value} onChange={(event) => onChange(event.target.value)} />}
    </FieldShell>
  );
}

/** A whole number typed as text (so a half-typed value stays as typed); the caller converts it. */
export function NumberField(props: InputProps) {
  return <TextField inputMode="numeric" autoComplete="off" {...props} />;
}

type TextAreaProps = Shell & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'name' | 'onChange' | 'value'> & {
  value: string;
  onChange(value: string): void;
};

export function TextAreaField({ name, label, errors, hint, value, onChange, ...area }: TextAreaProps) {
  return (
    <FieldShell name={name} label={label} errors={errors} hint={hint}>
      {(aria) => <textarea {...area} {...aria} name={name} value={value} onChange={(event) => onChange(event.target.value)} />}
    </FieldShell>
  );
}

type SelectProps<T extends string> = Shell & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'name' | 'onChange' | 'value'> & {
  value: T;
  options: ReadonlyArray<{ value: T; label: string }>;
  onChange(value: T): void;
};

export function SelectField<T extends string>({ name, label, errors, hint, value, options, onChange, ...select }: SelectProps<T>) {
  return (
    <FieldShell name={name} label={label} errors={errors} hint={hint}>
      {(aria) => (
        <select {...select} {...aria} name={name} value={value} onChange={(event) => onChange(event.target.value as T)}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

export function CheckboxField({ name, label, errors, hint, checked, onChange }: Shell & { checked: boolean; onChange(checked: boolean): void }) {
  const id = fieldId(name, useFormScope());
  const error = errorFor(errors, name, label);
  return (
    <div className={error ? 'field field-check field-invalid' : 'field field-check'}>
      <input type="checkbox" id={id} name={name} checked={checked} onChange={(event) => onChange(event.target.checked)} aria-invalid={error ? true : undefined} />
      <label htmlFor={id}>{label}</label>
      {hint && <small className="hint">{hint}</small>}
      {error && <small className="field-error">{error}</small>}
    </div>
  );
}
