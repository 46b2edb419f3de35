import { useMutation } from '@apollo/client/react';
import { useToastOutcome } from '../../app/toasts';
import { MediaDocument, RetryOffloadDocument } from '@offload/types/graphql';

/** Queues a FAILED offload again; the list is refetched, since the result may leave the current filter. */
export function useRetryOffloadMutation() {
  const [retry, { loading }] = useMutation(RetryOffloadDocument, { refetchQueries: [MediaDocument] });
  const toastOutcome = useToastOutcome();
  const run = (id: string) => toastOutcome(retry({ variables: { id } }), ({ retryOffload }) => `Offload of ${retryOffload.path} queued again.`);
  return [run, { loading }] as const;
}
