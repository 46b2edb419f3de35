import { useState, type FormEvent } from 'react';
import { graphqlEnumName, PROVIDER_KEYS, PROVIDERS, type ProviderKey } from '@offload/types';
import type { StorageLocationRowFragment } from '@offload/types/graphql';
import { formatBytes } from '../../components/format';
import { useForgetStorageLocationMutation, useTestStorageLocationMutation, useUpdateStorageLocationMutation } from './useStorageLocationMutations';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

function Status({ location: l }: { location: StorageLocationRowFragment }) {
  if (l.active)
    return (
      <span className="badge ok" title="New results are stored here now.">
        Active
      </span>
    );
  if (l.provider === 'LOCAL')
    return (
      <span className="badge" title="New results are stored here whenever no bucket is the Default Storage or the bucket cannot take them.">
        Fallback
      </span>
    );
  if (l.current)
    return (
      <span className="badge" title="Where the provider stores results when it is the Default Storage.">
        Standby
      </span>
    );
  return (
    <span className="badge" title="Its provider’s settings point elsewhere now; it keeps serving the results stored here.">
      Retired
    </span>
  );
}

/** A retired location's Public / CDN URL, edited in place. */
function PublicUrlForm({ location: l, onDone }: { location: StorageLocationRowFragment; onDone: () => void }) {
  const [value, setValue] = useState(l.publicUrl ?? '');
  const [update, { loading }] = useUpdateStorageLocationMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await update(l.id, { publicUrl: value })) onDone();
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={`public-url-${l.id}`}>Public / CDN URL of {l.label}</label>
      <input id={`public-url-${l.id}`} type="url" value={value} onChange={(e) => setValue(e.target.value)} placeholder="https://media.example.com" />
      <button type="submit" className="primary" disabled={loading}>
        Save URL
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

const providerOf = (l: StorageLocationRowFragment): ProviderKey | undefined => PROVIDER_KEYS.find((key) => graphqlEnumName(key) === l.provider);

/** A retired location's credentials, replaced after a key rotation; secrets are typed, never shown. */
function CredentialsForm({ location: l, provider, onDone }: { location: StorageLocationRowFragment; provider: ProviderKey; onDone: () => void }) {
  const fields = PROVIDERS[provider].fields.filter((f) => PROVIDERS[provider].credentials.includes(f.name));
  const [values, setValues] = useState<Record<string, string>>({});
  const [update, { loading }] = useUpdateStorageLocationMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await update(l.id, { values })) onDone();
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`New credentials for ${l.label}`}>
      {fields.map((f) => (
        <div className="field" key={f.name}>
          <label htmlFor={`credential-${l.id}-${f.name}`}>{f.label}</label>
          <input
            id={`credential-${l.id}-${f.name}`}
            type={f.kind === 'secret' ? 'password' : 'text'}
            autoComplete={f.kind === 'secret' ? 'new-password' : 'off'}
            required
            value={values[f.name] ?? ''}
            onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
          />
        </div>
      ))}
      <button type="submit" className="primary" disabled={loading}>
        Save credentials
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

export function StorageLocationRow({ location: l }: { location: StorageLocationRowFragment }) {
  const [editing, setEditing] = useState<'url' | 'credentials' | null>(null);
  const provider = providerOf(l);
  const [test, testing] = useTestStorageLocationMutation();
  const [forget, forgetting] = useForgetStorageLocationMutation();
  const bucket = l.provider !== 'LOCAL';
  return (
    <tr data-testid="storage-location">
      <td>
        <strong>{l.label}</strong>
        {l.endpoint && <small className="help">{l.endpoint}</small>}
        {l.settingsError && <small className="error">{l.settingsError}</small>}
      </td>
      <td>
        {editing === 'url' ? (
          <PublicUrlForm location={l} onDone={() => setEditing(null)} />
        ) : editing === 'credentials' && provider ? (
          <CredentialsForm location={l} provider={provider} onDone={() => setEditing(null)} />
        ) : (
          (l.publicUrl ?? <span className="muted">short-lived signed links</span>)
        )}
      </td>
      <td className="number" data-testid="location-results">
        {l.usage.results.toLocaleString()}
      </td>
      <td className="number">{formatBytes(l.usage.bytes)}</td>
      <td>{when(l.usage.lastWrittenAt)}</td>
      <td>
        <Status location={l} />
      </td>
      <td>
        <div className="actions">
          {bucket && (
            <button type="button" disabled={testing.loading} onClick={() => test(l.id)} aria-label={`Test connection to ${l.label}`}>
              {testing.loading ? 'Testing…' : 'Test connection'}
            </button>
          )}
          {bucket && !l.current && !editing && (
            <>
              <button type="button" onClick={() => setEditing('url')} aria-label={`Edit the Public / CDN URL of ${l.label}`}>
                Edit URL
              </button>
              <button type="button" onClick={() => setEditing('credentials')} aria-label={`Replace the credentials of ${l.label}`}>
                Credentials
              </button>
            </>
          )}
          {bucket && !l.current && l.usage.results === 0 && (
            <button type="button" disabled={forgetting.loading} onClick={() => forget(l.id, l.label)} aria-label={`Forget ${l.label}`}>
              Forget
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
