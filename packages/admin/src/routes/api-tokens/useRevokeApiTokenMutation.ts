import { useMutation } from '@apollo/client/react';
import { useToastOutcome } from '../../app/toasts';
import { RevokeApiTokenDocument } from '@offload/types/graphql';

/** Revokes a platform API token at once; its row turns Revoked from the cache. */
export function useRevokeApiTokenMutation() {
  const [revoke, { loading }] = useMutation(RevokeApiTokenDocument);
  const toastOutcome = useToastOutcome();
  const run = (id: string) => toastOutcome(revoke({ variables: { id } }), ({ revokeApiToken }) => `${revokeApiToken.name} can no longer call Offload.`);
  return [run, { loading }] as const;
}
