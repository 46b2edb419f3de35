import { useState, type FormEvent } from 'react';
import { useCreateApiTokenMutation } from './useCreateApiTokenMutation';
import type { ApiScope, CreateApiTokenMutation } from '@offload/types/graphql';

const SCOPES: { value: ApiScope; label: string; help: string }[] = [
  { value: 'CREATIVES_WRITE', label: 'Finalize and delete creatives', help: 'What a studio needs to hand over its results.' },
  { value: 'CREATIVES_READ', label: 'Read creatives and their URLs', help: 'What a publisher needs to fetch results.' },
];

export function NewTokenForm({ onCreated }: { onCreated: (created: CreateApiTokenMutation['createApiToken']) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['CREATIVES_WRITE', 'CREATIVES_READ']);
  const [create, { loading }] = useCreateApiTokenMutation();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const data = await create({ name, scopes });
    if (!data) return;
    onCreated(data.createApiToken);
    setName('');
  };

  return (
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
      <button type="submit" className="primary" disabled={loading}>
        Create token
      </button>
    </form>
  );
}
