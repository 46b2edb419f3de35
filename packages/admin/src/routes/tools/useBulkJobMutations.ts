import { useMutation } from '@apollo/client/react';
import {
  CancelBulkJobDocument,
  MoveResultsDocument,
  PauseBulkJobDocument,
  RemoveLocalCopiesDocument,
  ResumeBulkJobDocument,
  RetryBulkJobFailuresDocument,
  ScanResultsDiskDocument,
  ToolsDocument,
  VerifyStoredObjectsDocument,
  type MoveResultsInput,
  type RemoveLocalCopiesInput,
  type VerifyStoredObjectsInput,
} from '@offload/types/graphql';
import { useToastOutcome } from '../../app/toasts';
import { about, formatResults } from '../../components/format';
import { jobName } from './BulkJobProgress';

// Every change refetches the screen's one query: a started job joins the list, a stopped one
// changes where the list sorts it, and the poll's pace follows whether any job is running.
const refetch = { refetchQueries: [ToolsDocument], awaitRefetchQueries: true };

/** Starts a move; resolves to the job, or undefined once the refusal is toasted. */
export function useMoveResultsMutation() {
  const [move, state] = useMutation(MoveResultsDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (input: MoveResultsInput) =>
    toastOutcome(
      move({ variables: { input } }),
      ({ moveResults: job }) => `Moving ${about(job.plannedEstimated).toLowerCase()}${formatResults(job.plannedItems)}: ${jobName(job)}.`,
    );
  return [run, state] as const;
}

/** "204 local copies". */
export const formatCopies = (count: number) => `${count.toLocaleString()} local ${count === 1 ? 'copy' : 'copies'}`;

/** Registers the results on this server's results disk that were never finalized. */
export function useScanResultsDiskMutation() {
  const [scan, state] = useMutation(ScanResultsDiskDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = () => toastOutcome(scan(), ({ scanResultsDisk: job }) => `Scanning: ${jobName(job)}.`);
  return [run, state] as const;
}

/** Reads a bucket's stored objects back and checks them against their recorded SHA-256. */
export function useVerifyStoredObjectsMutation() {
  const [verify, state] = useMutation(VerifyStoredObjectsDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (input: VerifyStoredObjectsInput) =>
    toastOutcome(
      verify({ variables: { input } }),
      ({ verifyStoredObjects: job }) => `Checking ${about(job.plannedEstimated).toLowerCase()}${formatResults(job.plannedItems)}: ${jobName(job)}.`,
    );
  return [run, state] as const;
}

/** Deletes the local copies of a bucket's results, once the admin confirms. */
export function useRemoveLocalCopiesMutation() {
  const [remove, state] = useMutation(RemoveLocalCopiesDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (input: RemoveLocalCopiesInput, bucket: string, copies: string) => {
    if (
      !window.confirm(
        `Delete ${copies} on this server whose results are stored in ${bucket}? Each is deleted only once its stored object reads back as recorded.`,
      )
    )
      return Promise.resolve(undefined);
    return toastOutcome(
      remove({ variables: { input } }),
      ({ removeLocalCopies: job }) => `Removing ${about(job.plannedEstimated).toLowerCase()}${formatCopies(job.plannedItems)}: ${jobName(job)}.`,
    );
  };
  return [run, state] as const;
}

/** Stops after the result in hand; its progress stays. */
export function usePauseBulkJobMutation() {
  const [pause, state] = useMutation(PauseBulkJobDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (id: string) => toastOutcome(pause({ variables: { id } }), ({ pauseBulkJob: job }) => `Paused: ${jobName(job)}.`);
  return [run, state] as const;
}

/** Goes on from where it stopped. */
export function useResumeBulkJobMutation() {
  const [resume, state] = useMutation(ResumeBulkJobDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (id: string) => toastOutcome(resume({ variables: { id } }), ({ resumeBulkJob: job }) => `Resumed: ${jobName(job)}.`);
  return [run, state] as const;
}

/** Stops for good, once the admin confirms; what was moved stays moved. */
export function useCancelBulkJobMutation() {
  const [cancel, state] = useMutation(CancelBulkJobDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (id: string, name: string) => {
    if (!window.confirm(`Cancel the move ${name}? What has moved stays moved; the rest stays where it is.`)) return Promise.resolve(undefined);
    return toastOutcome(cancel({ variables: { id } }), ({ cancelBulkJob: job }) => `Canceled: ${jobName(job)}.`);
  };
  return [run, state] as const;
}

/** Tries the job's failed results again; a finished job runs again for them alone. */
export function useRetryBulkJobFailuresMutation() {
  const [retry, state] = useMutation(RetryBulkJobFailuresDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (id: string) => toastOutcome(retry({ variables: { id } }), ({ retryBulkJobFailures: job }) => `Retrying the failed results of ${jobName(job)}.`);
  return [run, state] as const;
}
