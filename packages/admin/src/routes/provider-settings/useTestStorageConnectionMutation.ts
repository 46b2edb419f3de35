import { useMutation } from '@apollo/client/react';
import type { ProviderKey, ProviderSettings } from '@offload/types';
import { TestStorageConnectionDocument } from '@offload/types/graphql';
import { describeError, problemsOf } from '../../app/apollo';
import { useToast } from '../../app/toasts';
import { apiName, inputOf } from './settingsForm';

/**
 * Saves the settings, then tests the connection; toasts the outcome (green, or red with the exact
 * cause, warnings beneath). Resolves to whether the settings were saved, and the problems by field
 * when they were refused.
 */
export function useTestStorageConnectionMutation(provider: ProviderKey) {
  const [mutate, state] = useMutation(TestStorageConnectionDocument);
  const toast = useToast();
  const test = async (form: ProviderSettings): Promise<{ saved: boolean; problems: Record<string, string> }> => {
    try {
      const { data } = await mutate({ variables: { provider: apiName(provider), values: inputOf(provider, form) } });
      const outcome = data!.testStorageConnection;
      toast({ kind: outcome.ok ? 'success' : 'error', message: outcome.message, details: outcome.warnings });
      return { saved: true, problems: {} };
    } catch (error) {
      toast({ kind: 'error', message: describeError(error) });
      return { saved: false, problems: problemsOf(error) };
    }
  };
  return [test, state] as const;
}
