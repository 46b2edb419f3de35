import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { GeneralSettingsDocument, type GeneralSettingsQuery, type StorageKey } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { useSetDefaultStorageMutation } from './useSetDefaultStorageMutation';

export function GeneralSettingsPage() {
  const query = useQuery(GeneralSettingsDocument, { fetchPolicy: 'network-only' });
  return <QueryState query={query}>{(data) => <DefaultStorageForm data={data} />}</QueryState>;
}

function DefaultStorageForm({ data }: { data: GeneralSettingsQuery }) {
  const selectable = data.storageOptions.some((o) => o.key === data.defaultStorage.selected.key);
  const [choice, setChoice] = useState<StorageKey>(selectable ? data.defaultStorage.selected.key : 'LOCAL');
  const [setDefault, saving] = useSetDefaultStorageMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void setDefault(choice);
  };

  return (
    <section>
      <h1>General Settings</h1>
      {data.defaultStorage.fallbackInEffect && (
        <p className="banner warning" role="alert" data-testid="fallback-banner">
          {data.defaultStorage.fallbackReason}
        </p>
      )}
      <form className="panel" onSubmit={submit}>
        <label htmlFor="default-storage">Default Storage</label>
        <select id="default-storage" value={choice} onChange={(e) => setChoice(e.target.value as StorageKey)} aria-describedby="default-storage-help">
          {data.storageOptions.map((o) => (
            <option key={o.key} value={o.key}>
              {o.label}
            </option>
          ))}
        </select>
        <small id="default-storage-help" className="help">
          Where newly finalized results are stored. Only installed, enabled and fully configured providers are listed; the local server is always the fallback.
          New results are stored on <strong data-testid="effective-storage">{data.defaultStorage.effective.label}</strong> now.
        </small>
        <button type="submit" className="primary" disabled={saving.loading}>
          Save
        </button>
      </form>
    </section>
  );
}
