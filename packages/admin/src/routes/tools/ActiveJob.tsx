import { useQuery } from '@apollo/client/react';
import { useEffect, useRef } from 'react';
import { BulkJobFailuresDocument, type BulkJobCardFragment } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { BulkJobProgress, JobState, jobName } from './BulkJobProgress';
import { useCancelBulkJobMutation, usePauseBulkJobMutation, useResumeBulkJobMutation, useRetryBulkJobFailuresMutation } from './useBulkJobMutations';

const when = (iso: string) => new Date(iso).toLocaleString();

/** "Images under images/gemini, created from 11/1/2026": the job's filter in words. */
export function describeFilter({ filter: f }: Pick<BulkJobCardFragment, 'filter'>): string {
  const conditions = [
    f.pathPrefix && `under ${f.pathPrefix}`,
    f.createdAfter && `created from ${new Date(f.createdAfter).toLocaleDateString()}`,
    f.createdBefore && `created before ${new Date(f.createdBefore).toLocaleDateString()}`,
  ].filter(Boolean);
  const what = f.studio === 'IMAGE' ? 'Images' : f.studio === 'VIDEO' ? 'Videos' : conditions.length ? 'Results' : 'All results';
  return [what, conditions.join(', ')].filter(Boolean).join(' ');
}

/** The results a job could not move, and a button to try them again. */
function JobFailures({ job }: { job: BulkJobCardFragment }) {
  const failures = useQuery(BulkJobFailuresDocument, { variables: { id: job.id }, fetchPolicy: 'network-only' });
  const [retry, retrying] = useRetryBulkJobFailuresMutation();
  // Asked again when the count changes, not on every poll of the jobs: the list is the dearer query.
  const { refetch } = failures;
  const seen = useRef(job.failedItems);
  useEffect(() => {
    if (seen.current === job.failedItems) return;
    seen.current = job.failedItems;
    void refetch();
  }, [job.failedItems, refetch]);
  return (
    <div className="job-failures">
      <h4>
        {job.failedItems.toLocaleString()} {job.failedItems === 1 ? 'result' : 'results'} failed
      </h4>
      <QueryState query={failures}>
        {(data) => (
          <>
            <ul className="failures">
              {data.bulkJob.failures.map((f) => (
                <li key={f.creativeId} data-testid="job-failure">
                  <span className="path">{f.path ?? `Result ${f.creativeId} (deleted since)`}</span>
                  <span className="error small">{f.error}</span>
                </li>
              ))}
            </ul>
            {job.failedItems > data.bulkJob.failures.length && <p className="help small">The latest {data.bulkJob.failures.length} are listed.</p>}
          </>
        )}
      </QueryState>
      <button type="button" disabled={retrying.loading} onClick={() => retry(job.id)} aria-label={`Retry failed results of ${jobName(job)}`}>
        Retry failed
      </button>
    </div>
  );
}

/** A running or paused job: its progress, what it moves, and its controls. */
export function ActiveJob({ job }: { job: BulkJobCardFragment }) {
  const name = jobName(job);
  const [pause, pausing] = usePauseBulkJobMutation();
  const [resume, resuming] = useResumeBulkJobMutation();
  const [cancel, canceling] = useCancelBulkJobMutation();
  const busy = pausing.loading || resuming.loading || canceling.loading;
  return (
    <article className="panel job" aria-labelledby={`job-${job.id}`} data-testid="bulk-job">
      <div className="job-head">
        <h3 id={`job-${job.id}`}>{name}</h3>
        <JobState state={job.state} />
      </div>
      <BulkJobProgress job={job} />
      <p className="help small">
        {describeFilter(job)}
        {job.kind === 'MOVE' && `; ${job.deleteSource ? 'each source copy is deleted once its copy is verified' : 'source copies are kept'}`}. Started by{' '}
        {job.createdBy}, {when(job.createdAt)}.
      </p>
      <div className="actions">
        {job.state === 'RUNNING' ? (
          <button type="button" disabled={busy} onClick={() => pause(job.id)} aria-label={`Pause ${name}`}>
            Pause
          </button>
        ) : (
          <button type="button" className="primary" disabled={busy} onClick={() => resume(job.id)} aria-label={`Resume ${name}`}>
            Resume
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => cancel(job.id, name)} aria-label={`Cancel ${name}`}>
          Cancel
        </button>
      </div>
      {job.failedItems > 0 && <JobFailures job={job} />}
    </article>
  );
}
