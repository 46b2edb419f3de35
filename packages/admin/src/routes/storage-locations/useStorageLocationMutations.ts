import { useMutation } from '@apollo/client/react';
import { ForgetStorageLocationDocument, StorageLocationsDocument, TestStorageLocationDocument, UpdateStorageLocationDocument } from '@offload/types/graphql';
import { describeError } from '../../app/apollo';
import { useToast, useToastOutcome } from '../../app/toasts';

/**
 * A retired location's new Public / CDN URL (every URL of its results follows) or new
 * credentials (after a key rotation: its downloads and deletes use them from now on).
 */
export function useUpdateStorageLocationMutation() {
  const [update, state] = useMutation(UpdateStorageLocationDocument);
  const toastOutcome = useToastOutcome();
  const run = (id: string, change: { publicUrl: string } | { values: Record<string, string> }) =>
    toastOutcome(update({ variables: { id, ...change } }), ({ updateStorageLocation: l }) =>
      'publicUrl' in change ? `${l.label} now serves from ${l.publicUrl ?? 'short-lived signed links'}.` : `${l.label} uses the new credentials.`,
    );
  return [run, state] as const;
}

/** Test connection with the location's own credentials; the outcome (and warnings) as a toast. */
export function useTestStorageLocationMutation() {
  const [test, state] = useMutation(TestStorageLocationDocument);
  const toast = useToast();
  const run = async (id: string) => {
    try {
      const { data } = await test({ variables: { id } });
      const outcome = data!.testStorageLocation;
      toast({ kind: outcome.ok ? 'success' : 'error', message: outcome.message, details: outcome.warnings });
    } catch (error) {
      toast({ kind: 'error', message: describeError(error) });
    }
  };
  return [run, state] as const;
}

/** Removes an empty retired location (and its stored credentials) from the list. */
export function useForgetStorageLocationMutation() {
  const [forget, state] = useMutation(ForgetStorageLocationDocument, { refetchQueries: [StorageLocationsDocument], awaitRefetchQueries: true });
  const toastOutcome = useToastOutcome();
  const run = (id: string, label: string) => toastOutcome(forget({ variables: { id } }), () => `${label} is forgotten, with its stored credentials.`);
  return [run, state] as const;
}
