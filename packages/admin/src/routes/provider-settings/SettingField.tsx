import type { FieldSpec } from '@offload/types';
import type { ProviderSettingsForm } from './useProviderSettingsForm';

/** One field of a provider's form, as its catalog entry describes it. */
export function SettingField({ field, form }: { field: FieldSpec; form: ProviderSettingsForm }) {
  const id = `field-${field.name}`;
  const problem = form.problems[field.name];
  const secretStored = field.kind === 'secret' && form.stored.storedSecrets.includes(field.name);
  const help = secretStored
    ? 'A secret is stored. Leave blank to keep it; type a new one only to replace it.'
    : field.showsEndpoint && form.endpoint
      ? `${field.help} Endpoint in use: ${form.endpoint}`
      : field.help;
  if (field.kind === 'boolean') {
    return (
      <label className="check" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={Boolean(form.form[field.name])}
          onChange={(e) => form.set(field.name, e.target.checked)}
          aria-describedby={`${id}-help`}
        />
        <span>
          {field.label}
          <small id={`${id}-help`} className="help">
            {help}
          </small>
        </span>
      </label>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      <input
        id={id}
        type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'}
        autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
        placeholder={secretStored ? '•••••••• (stored)' : undefined}
        value={String(form.form[field.name] ?? '')}
        onChange={(e) => form.set(field.name, e.target.value)}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-help${problem ? ` ${id}-error` : ''}`}
      />
      <small id={`${id}-help`} className="help">
        {help}
      </small>
      {problem && (
        <small id={`${id}-error`} className="error field-error">
          {problem}
        </small>
      )}
    </div>
  );
}
