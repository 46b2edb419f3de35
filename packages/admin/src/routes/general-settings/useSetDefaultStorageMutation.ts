import { useMutation } from '@apollo/client/react';
import { GeneralSettingsDocument, SetDefaultStorageDocument, type StorageKey } from '@offload/types/graphql';
import { useToastOutcome } from '../../app/toasts';

/** Makes a storage the Default Storage for new results, and says so (nothing already stored moves). */
export function useSetDefaultStorageMutation() {
  const [setDefault, { loading }] = useMutation(SetDefaultStorageDocument, { refetchQueries: [GeneralSettingsDocument], awaitRefetchQueries: true });
  const toastOutcome = useToastOutcome();
  const run = (storage: StorageKey) =>
    toastOutcome(
      setDefault({ variables: { storage } }),
      ({ setDefaultStorage }) => `Default Storage is now ${setDefaultStorage.selected.label}. New results go there; nothing already stored moves.`,
    );
  return [run, { loading }] as const;
}
