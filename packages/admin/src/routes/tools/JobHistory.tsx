import type { BulkJobCardFragment } from '@offload/types/graphql';
import { formatBytes } from '../../components/format';
import { describeFilter } from './ActiveJob';
import { BULK_DONE_WORDS } from '@offload/types';
import { JobState, jobName } from './BulkJobProgress';
import { useRetryBulkJobFailuresMutation } from './useBulkJobMutations';

function RetryButton({ job }: { job: BulkJobCardFragment }) {
  const [retry, { loading }] = useRetryBulkJobFailuresMutation();
  return (
    <button type="button" disabled={loading} onClick={() => retry(job.id)} aria-label={`Retry failed results of ${jobName(job)}`}>
      Retry failed
    </button>
  );
}

/** Finished jobs, newest first; on a phone each row stacks into labelled lines. */
export function JobHistory({ jobs }: { jobs: BulkJobCardFragment[] }) {
  return (
    <table className="stack">
      <caption className="visually-hidden">Finished bulk jobs</caption>
      <thead>
        <tr>
          <th scope="col">Finished</th>
          <th scope="col">Job</th>
          <th scope="col">Results</th>
          <th scope="col">Size</th>
          <th scope="col">Started by</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-testid="job-history">
            <td data-label="Finished">{new Date(job.finishedAt ?? job.createdAt).toLocaleString()}</td>
            <td data-label="Job">
              {jobName(job)}
              <small className="help">{describeFilter(job)}</small>
            </td>
            <td data-label="Results" className="number">
              {job.doneItems.toLocaleString()} {BULK_DONE_WORDS[job.kind]}
              {job.failedItems > 0 && <span className="error">, {job.failedItems.toLocaleString()} failed</span>}
              {job.skippedItems > 0 && <span className="muted">, {job.skippedItems.toLocaleString()} skipped</span>}
            </td>
            <td data-label="Size" className="number">
              {formatBytes(job.doneBytes)}
            </td>
            <td data-label="Started by">{job.createdBy}</td>
            <td data-label="State">
              <JobState state={job.state} />
              {job.failedItems > 0 && <RetryButton job={job} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
