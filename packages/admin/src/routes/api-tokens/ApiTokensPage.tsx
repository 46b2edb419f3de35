import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { ApiTokensDocument, CreateApiTokenDocument, RevokeApiTokenDocument, type ApiScope } from '@offload/types/graphql';


const SCOPES: { value: ApiScope; label: string; help: string }[] = [
  { value: 'CREATIVES_WRITE', label: 'Finalize and delete creatives', help: 'What a studio needs to hand over its results.' },
  { value: 'CREATIVES_READ', label: 'Read creatives and their URLs', help: 'What a publisher needs to fetch results.' },
];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function ApiTokensPage() {
  const { data, loading, error } = useQuery(ApiTokensDocument);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['CREATIVES_WRITE', 'CREATIVES_READ']);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [create, creating] = useMutation(CreateApiTokenDocument, { refetchQueries: [ApiTokensDocument] });
  const [revoke] = useMutation(RevokeApiTokenDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const result = await create({ variables: { input: { name, scopes } } });
      if (result.data) setCreated({ name, token: result.data.createApiToken.token });
      setName('');
    } catch {
      // shown from creating.error
    }
  };

  return (
    <section>
      <h1>API tokens</h1>
      <p className="lead">The platform calls Offload with these (<code>Authorization: Bearer …</code>). A token is shown once, when it is created; only a hash is kept.</p>

      <form className="panel" onSubmit={submit} aria-labelledby="new-token">
        <h2 id="new-token">New token</h2>
        <label>
          Name
          <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Image Studio" />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope.value} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope.value)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, scope.value] : scopes.filter((s) => s !== scope.value))}
              />
              <span>
                {scope.label} <small className="muted">{scope.help}</small>
              </span>
            </label>
          ))}
        </fieldset>
        {creating.error && (
          <p role="alert" className="error">
            {creating.error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={creating.loading}>
          Create token
        </button>
      </form>

      {created && (
        <div className="panel success" role="status" aria-live="polite">
          <p>
            <strong>{created.name}</strong>: copy this token now — it will not be shown again.
          </p>
          <code data-testid="new-token">{created.token}</code>
          <button type="button" onClick={() => navigator.clipboard?.writeText(created.token)}>
            Copy
          </button>
        </div>
      )}

      {loading && <p role="status">Loading…</p>}
      {error && <p role="alert" className="error">{error.message}</p>}
      {data && (
        // Scrolls sideways on a phone; focusable so keyboard users can scroll it too.
        <div className="table-scroll" tabIndex={0} role="region" aria-label="API tokens">
          <table>
            <caption className="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {data.apiTokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td>{t.scopes.map((s) => (s === 'CREATIVES_WRITE' ? 'write' : 'read')).join(', ')}</td>
                  <td>{when(t.createdAt)}</td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="badge">Revoked</span>
                    ) : (
                      <button type="button" onClick={() => revoke({ variables: { id: t.id } })} aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
