import { useMutation } from '@apollo/client/react';
import { PROVIDERS, type ProviderKey, type ProviderSettings } from '@offload/types';
import { SaveProviderSettingsDocument, type ProviderSettingsFieldsFragment } from '@offload/types/graphql';
import { describeError, problemsOf } from '../../app/apollo';
import { useToast } from '../../app/toasts';
import { apiName, inputOf } from './settingsForm';

export type SaveOutcome = { settings: ProviderSettingsFieldsFragment; problems?: undefined } | { settings?: undefined; problems: Record<string, string> };

/** Saves a provider's settings and toasts how it went; a refusal comes back as problems by field. */
export function useSaveProviderSettingsMutation(provider: ProviderKey) {
  const [mutate, state] = useMutation(SaveProviderSettingsDocument);
  const toast = useToast();
  const save = async (form: ProviderSettings): Promise<SaveOutcome> => {
    try {
      const { data } = await mutate({ variables: { provider: apiName(provider), values: inputOf(provider, form) } });
      toast({ kind: 'success', message: `${PROVIDERS[provider].label} settings saved.` });
      return { settings: data!.settings };
    } catch (error) {
      toast({ kind: 'error', message: describeError(error) });
      return { problems: problemsOf(error) };
    }
  };
  return [save, state] as const;
}
