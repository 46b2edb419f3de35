import type { FieldSpec } from '@offload/types';
import type { ProviderSettingsForm } from './useProviderSettingsForm';

/** One field of a provider's form, as its catalog entry describes it. */
export function SettingField({ field, form }: { field: FieldSpec; form: ProviderSettingsForm }) {
  const id = `field-${field.name}`;
  const problem = form.problems[field.name];
  const secretStored = field.kind === 'secret' && form.stored.storedSecrets.includes(field.name);
  const help = secretStored
    ? field.file
      ? 'A key is stored. Leave blank to keep it; paste or upload a new one only to replace it.'
      : 'A secret is stored. Leave blank to keep it; type a new one only to replace it.'
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
  const common = {
    id,
    placeholder: secretStored ? '•••••••• (stored)' : undefined,
    value: String(form.form[field.name] ?? ''),
    'aria-invalid': problem ? true : undefined,
    'aria-describedby': `${id}-help${problem ? ` ${id}-error` : ''}`,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      {field.file ? (
        <>
          <textarea {...common} rows={4} spellCheck={false} autoComplete="off" className="key-file" onChange={(e) => form.set(field.name, e.target.value)} />
          <KeyFileInput field={field} form={form} />
        </>
      ) : (
        <input
          {...common}
          type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'}
          autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
          onChange={(e) => form.set(field.name, e.target.value)}
        />
      )}
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

/** Key files are a few kilobytes; anything far larger is not one (and is not read into the form). */
const MAX_KEY_FILE_BYTES = 16 * 1024;

/** Fills a key field from a file (a downloaded service-account key), read in the browser only. */
function KeyFileInput({ field, form }: { field: FieldSpec; form: ProviderSettingsForm }) {
  return (
    <label className="file-pick">
      <span>Upload key file…</span>
      <input
        type="file"
        accept={field.file!.accept}
        aria-label={`Upload ${field.label} file`}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (!file) return;
          if (file.size > MAX_KEY_FILE_BYTES) {
            form.refused({ [field.name]: `${file.name} is ${Math.round(file.size / 1024)} KB: a key file is a few kilobytes of JSON` });
            return;
          }
          form.set(field.name, await file.text());
        }}
      />
    </label>
  );
}
