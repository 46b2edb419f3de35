import { CombinedGraphQLErrors } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { useBlocker } from 'react-router';
import {
  EMPTY_SETTINGS,
  PROVIDERS,
  describeMissing,
  effectiveEndpoint,
  missingFields,
  validateSettings,
  type FieldSpec,
  type ProviderKey,
  type ProviderSettings,
  type SettingsField,
} from '@offload/types';
import { useToast } from '../../app/toasts';
import { TestStorageConnectionDocument } from '@offload/types/graphql';
import { PROVIDER_OPERATIONS, type SettingsInput, type SettingsView } from './operations';

const SECTIONS: { key: FieldSpec['section']; title: string }[] = [
  { key: 'general', title: 'General' },
  { key: 'credentials', title: 'Bucket Credentials' },
  { key: 'advanced', title: 'Advanced' },
];

function toForm(view: SettingsView): ProviderSettings {
  return {
    ...EMPTY_SETTINGS,
    enabled: view.enabled,
    deleteLocalCopy: view.deleteLocalCopy,
    accessKeyId: view.accessKeyId,
    bucket: view.bucket,
    publicUrl: view.publicUrl,
    keyPrefix: view.keyPrefix,
    usePathStyleEndpoint: view.usePathStyleEndpoint,
    ...('accountId' in view
      ? { accountId: view.accountId, customEndpoint: view.customEndpoint } // R2: region "auto", endpoint derived
      : { region: view.region, endpoint: view.endpoint }),
  };
}

/** Only the fields this provider has; a blank secret is left out so the stored one is kept. */
function toInput(provider: ProviderKey, form: ProviderSettings): SettingsInput {
  const input: Record<string, string | boolean> = {};
  for (const field of PROVIDERS[provider].fields) {
    if (field.name === 'secretAccessKey' && !form.secretAccessKey) continue;
    input[field.name] = form[field.name];
  }
  return input;
}

/** Server problems ({ field, message }) next to their fields. */
function problemsOf(error: unknown): Partial<Record<SettingsField, string>> {
  if (!CombinedGraphQLErrors.is(error)) return {};
  const problems = (error.errors[0]?.extensions?.problems as { field: SettingsField; message: string }[] | undefined) ?? [];
  return Object.fromEntries(problems.map((p) => [p.field, p.message]));
}

export function ProviderSettingsPage({ provider }: { provider: ProviderKey }) {
  const { data, loading, error } = useQuery(PROVIDER_OPERATIONS[provider].query, { fetchPolicy: 'network-only' });
  if (loading) return <p role="status">Loading…</p>;
  if (error || !data) return <p role="alert" className="error">{error?.message}</p>;
  return <ProviderSettingsForm provider={provider} initial={data.settings} />;
}

function ProviderSettingsForm({ provider, initial }: { provider: ProviderKey; initial: SettingsView }) {
  const spec = PROVIDERS[provider];
  const ops = PROVIDER_OPERATIONS[provider];
  const toast = useToast();
  const [stored, setStored] = useState<SettingsView>(initial);
  const [form, setForm] = useState<ProviderSettings>(() => toForm(initial));
  const [saved, setSaved] = useState<ProviderSettings>(() => toForm(initial));
  const [serverProblems, setServerProblems] = useState<Partial<Record<SettingsField, string>>>({});
  const [save, saving] = useMutation(ops.save);
  const [test, testing] = useMutation(TestStorageConnectionDocument);

  const dirty = JSON.stringify(form) !== JSON.stringify(saved);
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state === 'blocked') {
      if (window.confirm('You have unsaved changes. Leave without saving?')) blocker.proceed();
      else blocker.reset();
    }
  }, [blocker]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => dirty && e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const withSecret = { ...form, secretAccessKey: form.secretAccessKey || (stored.hasSecretAccessKey ? 'stored' : '') };
  const localProblems = Object.fromEntries(validateSettings(provider, withSecret).map((p) => [p.field, p.message]));
  const problems = { ...localProblems, ...serverProblems };
  const missing = missingFields(provider, withSecret);

  const set = (name: SettingsField, value: string | boolean) => {
    setForm((f) => ({ ...f, [name]: value }));
    setServerProblems((p) => ({ ...p, [name]: undefined }));
  };

  const onSave = async (event?: FormEvent) => {
    event?.preventDefault();
    try {
      const result = await save({ variables: { input: toInput(provider, form) } });
      if (result.data) {
        setStored(result.data.settings);
        setForm(toForm(result.data.settings));
        setSaved(toForm(result.data.settings));
      }
      setServerProblems({});
      toast({ kind: 'success', message: `${spec.label} settings saved.` });
      return true;
    } catch (e) {
      setServerProblems(problemsOf(e));
      toast({ kind: 'error', message: (e as Error).message });
      return false;
    }
  };

  const onTest = async () => {
    try {
      const result = await test({ variables: ops.testVariables(toInput(provider, form)) });
      const outcome = result.data!.testStorageConnection;
      // Testing saved the settings first: the secret is now stored, not typed.
      const now = { ...form, secretAccessKey: '' };
      setStored((s) => ({ ...s, hasSecretAccessKey: s.hasSecretAccessKey || Boolean(form.secretAccessKey), enabled: form.enabled }));
      setSaved(now);
      setForm(now);
      toast({ kind: outcome.ok ? 'success' : 'error', message: outcome.message, details: outcome.warnings });
    } catch (e) {
      setServerProblems(problemsOf(e));
      toast({ kind: 'error', message: (e as Error).message });
    }
  };

  const derived = effectiveEndpoint(provider, form);
  return (
    <section>
      <h1>{spec.pluginName}</h1>
      <p className="lead">{spec.description}</p>
      {stored.settingsError && <p className="banner warning" role="alert">{stored.settingsError}</p>}
      {!stored.enabled && (
        <p className="banner" data-testid="availability">
          {missing.length ? `Not selectable as Default Storage yet: fill in ${describeMissing(provider, missing)}, then enable it.` : `${spec.label} is disabled: enable it to make it selectable as Default Storage.`}
        </p>
      )}
      <form onSubmit={onSave} noValidate>
        {SECTIONS.map((section) => (
          <fieldset key={section.key} className="panel">
            <legend>{section.title}</legend>
            {spec.fields
              .filter((f) => f.section === section.key)
              .map((field) => {
                const id = `field-${field.name}`;
                const problem = problems[field.name];
                const help =
                  field.name === 'secretAccessKey' && stored.hasSecretAccessKey
                    ? 'A secret is stored. Leave blank to keep it; type a new one only to replace it.'
                    : (field.name === 'accountId' || field.name === 'customEndpoint' || field.name === 'endpoint' || field.name === 'region') && derived
                      ? `${field.help} Endpoint in use: ${derived}`
                      : field.help;
                if (field.kind === 'boolean') {
                  return (
                    <label key={field.name} className="check" htmlFor={id}>
                      <input id={id} type="checkbox" checked={Boolean(form[field.name])} onChange={(e) => set(field.name, e.target.checked)} aria-describedby={`${id}-help`} />
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
                  <div key={field.name} className="field">
                    <label htmlFor={id}>{field.label}</label>
                    <input
                      id={id}
                      type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'}
                      autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
                      placeholder={field.name === 'secretAccessKey' && stored.hasSecretAccessKey ? '•••••••• (stored)' : undefined}
                      value={String(form[field.name] ?? '')}
                      onChange={(e) => set(field.name, e.target.value)}
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
              })}
          </fieldset>
        ))}
        <fieldset className="panel">
          <legend>Connection</legend>
          <p className="help">Saves these settings, then uploads a tiny test object, reads it back, checks it through the Public / CDN URL and deletes it.</p>
          <button type="button" onClick={onTest} disabled={testing.loading} aria-busy={testing.loading}>
            {testing.loading ? <span className="spinner" aria-hidden="true" /> : null}
            {testing.loading ? 'Testing…' : 'Test connection'}
          </button>
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={saving.loading}>
            {saving.loading ? 'Saving…' : 'Save'}
          </button>
          {dirty && <span className="muted">Unsaved changes</span>}
        </div>
      </form>
    </section>
  );
}
