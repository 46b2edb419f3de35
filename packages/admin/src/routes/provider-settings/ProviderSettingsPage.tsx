import { useQuery } from '@apollo/client/react';
import type { FormEvent } from 'react';
import { useParams } from 'react-router';
import { describeMissing, isProviderKey, type FieldSpec, type ProviderKey } from '@offload/types';
import { ProviderSettingsDocument, type ProviderSettingsFieldsFragment } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { SettingField } from './SettingField';
import { apiName } from './settingsForm';
import { useProviderSettingsForm, type ProviderSettingsForm } from './useProviderSettingsForm';
import { useSaveProviderSettingsMutation } from './useSaveProviderSettingsMutation';
import { useTestStorageConnectionMutation } from './useTestStorageConnectionMutation';

const SECTIONS: { key: FieldSpec['section']; title: string }[] = [
  { key: 'general', title: 'General' },
  { key: 'credentials', title: 'Bucket Credentials' },
  { key: 'advanced', title: 'Advanced' },
];

/** `/general/plugins/:provider`: any provider of the catalog. */
export function ProviderSettingsPage() {
  const { provider = '' } = useParams();
  if (!isProviderKey(provider))
    return (
      <p role="alert" className="error">
        There is no storage provider “{provider}”.
      </p>
    );
  return <ProviderSettingsScreen key={provider} provider={provider} />;
}

function ProviderSettingsScreen({ provider }: { provider: ProviderKey }) {
  const query = useQuery(ProviderSettingsDocument, { variables: { provider: apiName(provider) }, fetchPolicy: 'network-only' });
  return <QueryState query={query}>{(data) => <SettingsForm provider={provider} initial={data.settings} />}</QueryState>;
}

function SettingsForm({ provider, initial }: { provider: ProviderKey; initial: ProviderSettingsFieldsFragment }) {
  const form = useProviderSettingsForm(provider, initial);
  const [save, saving] = useSaveProviderSettingsMutation(provider);
  const onSave = async (event: FormEvent) => {
    event.preventDefault();
    const outcome = await save(form.form);
    if (outcome.settings) form.savedAs(outcome.settings);
    else form.refused(outcome.problems);
  };
  return (
    <section>
      <h1>{form.spec.pluginName}</h1>
      <p className="lead">{form.spec.description}</p>
      <Availability provider={provider} form={form} />
      <form onSubmit={onSave} noValidate>
        {SECTIONS.map((section) => (
          <fieldset key={section.key} className="panel">
            <legend>{section.title}</legend>
            {form.spec.fields
              .filter((f) => f.section === section.key)
              .map((field) => (
                <SettingField key={field.name} field={field} form={form} />
              ))}
          </fieldset>
        ))}
        <ConnectionTest provider={provider} form={form} />
        <div className="actions">
          <button type="submit" className="primary" disabled={saving.loading}>
            {saving.loading ? 'Saving…' : 'Save'}
          </button>
          {form.dirty && <span className="muted">Unsaved changes</span>}
        </div>
      </form>
    </section>
  );
}

/** Why the provider is not selectable as Default Storage yet, or that its settings cannot be read. */
function Availability({ provider, form }: { provider: ProviderKey; form: ProviderSettingsForm }) {
  return (
    <>
      {form.stored.settingsError && (
        <p className="banner warning" role="alert">
          {form.stored.settingsError}
        </p>
      )}
      {!form.stored.values.enabled && (
        <p className="banner" data-testid="availability">
          {form.missing.length
            ? `Not selectable as Default Storage yet: fill in ${describeMissing(provider, form.missing)}, then enable it.`
            : `${form.spec.label} is disabled: enable it to make it selectable as Default Storage.`}
        </p>
      )}
    </>
  );
}

function ConnectionTest({ provider, form }: { provider: ProviderKey; form: ProviderSettingsForm }) {
  const [test, testing] = useTestStorageConnectionMutation(provider);
  const onTest = async () => {
    const outcome = await test(form.form);
    if (outcome.saved) form.savedByTest();
    else form.refused(outcome.problems);
  };
  return (
    <fieldset className="panel">
      <legend>Connection</legend>
      <p className="help">Saves these settings, then uploads a tiny test object, reads it back, checks it through the Public / CDN URL and deletes it.</p>
      <button type="button" onClick={onTest} disabled={testing.loading} aria-busy={testing.loading}>
        {testing.loading ? <span className="spinner" aria-hidden="true" /> : null}
        {testing.loading ? 'Testing…' : 'Test connection'}
      </button>
    </fieldset>
  );
}
