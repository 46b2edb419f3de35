import { useMutation } from '@apollo/client/react';
import { useToastOutcome } from '../../app/toasts';
import { ApiTokensDocument, CreateApiTokenDocument, type CreateApiTokenInput } from '@offload/types/graphql';

/**
 * Creates a platform API token. A failure is toasted; success is the screen's panel holding the
 * token, not a toast, because a toast fades and the token is never shown again.
 */
export function useCreateApiTokenMutation() {
  const [create, { loading }] = useMutation(CreateApiTokenDocument, { refetchQueries: [ApiTokensDocument] });
  const toastOutcome = useToastOutcome();
  const run = (input: CreateApiTokenInput) => toastOutcome(create({ variables: { input } }));
  return [run, { loading }] as const;
}
