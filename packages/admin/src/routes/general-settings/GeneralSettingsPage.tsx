import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { useToast } from '../../app/toasts';
import { GeneralSettingsDocument, SetDefaultStorageDocument, type GeneralSettingsQuery, type StorageKey } from '@offload/types/graphql';

export function GeneralSettingsPage() {
  const { data, loading, error } = useQuery(GeneralSettingsDocument, { fetchPolicy: 'network-only' });
  if (loading) return <p role="status">Loading…</p>;
  if (error || !data)
    return (
      <p role="alert" className="error">
        {error?.message}
      </p>
    );
  return <DefaultStorageForm data={data} />;
}

function DefaultStorageForm({ data }: { data: GeneralSettingsQuery }) {
  const toast = useToast();
  const selectable = data.storageOptions.some((o) => o.key === data.defaultStorage.selected.key);
  const [choice, setChoice] = useState<StorageKey>(selectable ? data.defaultStorage.selected.key : 'LOCAL');
  const [setDefault, saving] = useMutation(SetDefaultStorageDocument, { refetchQueries: [GeneralSettingsDocument], awaitRefetchQueries: true });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await setDefault({ variables: { storage: choice } });
      const label = data.storageOptions.find((o) => o.key === choice)?.label ?? choice;
      toast({ kind: 'success', message: `Default Storage is now ${label}. New results go there; nothing already stored moves.` });
    } catch (e) {
      toast({ kind: 'error', message: (e as Error).message });
    }
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
