import { useEffect, useState } from 'react';
import { useBlocker } from 'react-router';
import { PROVIDERS, type ProviderKey, type ProviderSettings } from '@offload/types';
import type { ProviderSettingsFieldsFragment } from '@offload/types/graphql';
import { formOf } from './settingsForm';

/**
 * A provider's settings form: what was typed, what is stored, the problems (checked as you type
 * with the same rules the server enforces, and the server's own), and a guard against leaving
 * with unsaved changes.
 */
export function useProviderSettingsForm(provider: ProviderKey, initial: ProviderSettingsFieldsFragment) {
  const spec = PROVIDERS[provider];
  const [stored, setStored] = useState(initial);
  const [form, setForm] = useState(() => formOf(provider, initial));
  const [saved, setSaved] = useState(() => formOf(provider, initial));
  const [serverProblems, setServerProblems] = useState<Record<string, string | undefined>>({});
  const dirty = JSON.stringify(form) !== JSON.stringify(saved);
  useLeaveGuard(dirty);

  // A stored secret counts as filled in (blank values are not validated: a blank secret keeps the stored one).
  const withSecrets: ProviderSettings = { ...form };
  for (const name of stored.storedSecrets) withSecrets[name] ||= 'stored';
  const problems = { ...Object.fromEntries(spec.validate(form).map((p) => [p.field, p.message])), ...serverProblems };

  return {
    spec,
    form,
    stored,
    dirty,
    problems,
    missing: spec.missing(withSecrets),
    endpoint: spec.endpoint(form),
    set(name: string, value: string | boolean) {
      setForm((f) => ({ ...f, [name]: value }));
      // The server's word on this field no longer applies; the rules checked as you type still do.
      setServerProblems(({ [name]: _answered, ...rest }) => rest);
    },
    /** What the server answered to a save: the stored settings, the form reset to them. */
    savedAs(view: ProviderSettingsFieldsFragment) {
      setStored(view);
      setForm(formOf(provider, view));
      setSaved(formOf(provider, view));
      setServerProblems({});
    },
    /** Test connection saved the form first: typed secrets are now stored, not typed. */
    savedByTest() {
      const secrets = spec.fields.filter((f) => f.kind === 'secret').map((f) => f.name);
      const now = { ...form, ...Object.fromEntries(secrets.map((name) => [name, ''])) };
      setStored((s) => ({
        ...s,
        storedSecrets: [...new Set([...s.storedSecrets, ...secrets.filter((name) => form[name])])],
        values: { ...s.values, enabled: form.enabled },
      }));
      setSaved(now);
      setForm(now);
    },
    refused: setServerProblems,
  };
}

export type ProviderSettingsForm = ReturnType<typeof useProviderSettingsForm>;

function useLeaveGuard(dirty: boolean) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    if (window.confirm('You have unsaved changes. Leave without saving?')) blocker.proceed();
    else blocker.reset();
  }, [blocker]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => dirty && e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
}
