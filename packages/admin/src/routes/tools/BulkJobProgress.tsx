import type { BulkJobKind, BulkJobProgressFragment, BulkJobState } from '@offload/types/graphql';
import { BULK_DONE_WORDS } from '@offload/types';
import { about, formatBytes, formatDuration, formatResults } from '../../components/format';

export const STATE_NAMES: Record<BulkJobState, string> = { RUNNING: 'Running', PAUSED: 'Paused', CANCELED: 'Canceled', COMPLETED: 'Completed' };

type Named = Pick<BulkJobProgressFragment, 'kind' | 'source' | 'target'>;
const NAMES: Record<BulkJobKind, (job: Named) => string> = {
  MOVE: (job) => `${job.source.label} → ${job.target?.label ?? 'another location'}`,
  REMOVE_LOCAL: (job) => `Remove the local copies of ${job.source.label}`,
  SCAN: () => 'Register unfinalized results on the results disk',
  VERIFY: (job) => `Verify ${job.source.label}`,
};
/** What a job does, in a line: "Cloudflare R2 · media-a → Local server (this machine)". */
export const jobName = (job: Named) => NAMES[job.kind](job);

export function JobState({ state }: { state: BulkJobState }) {
  return (
    <span className={`badge job-${state.toLowerCase()}`} data-testid="job-state">
      {STATE_NAMES[state]}
    </span>
  );
}

/**
 * How far a bulk job is: a bar of the results it has finished either way (moved, skipped or
 * failed) out of those it planned, the results and bytes moved, and its rate and time left.
 */
export function BulkJobProgress({ job }: { job: BulkJobProgressFragment }) {
  const { finishedItems: finished, percent } = job;
  // Results finalized after the job started can match its filter too: the bar stops at full.
  const planned = Math.max(job.plannedItems, finished);
  const ofAbout = about(job.plannedEstimated).toLowerCase();
  const rate =
    job.state === 'RUNNING' && job.bytesPerSecond !== null && job.itemsPerSecond !== null
      ? `${formatBytes(job.bytesPerSecond)}/s · ${job.itemsPerSecond.toLocaleString(undefined, { maximumFractionDigits: 1 })} results/s` +
        (job.etaSeconds !== null ? ` · about ${formatDuration(job.etaSeconds)} left` : '')
      : null;
  const others = [job.skippedItems ? `${job.skippedItems.toLocaleString()} skipped` : '', job.failedItems ? `${job.failedItems.toLocaleString()} failed` : '']
    .filter(Boolean)
    .join(', ');
  return (
    <div className="job-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label={`Progress of ${jobName(job)}`}
        aria-valuemin={0}
        aria-valuemax={planned}
        aria-valuenow={finished}
        aria-valuetext={`${finished.toLocaleString()} of ${formatResults(planned)} (${percent}%)`}
        data-testid="job-progress"
      >
        <div className={`progress-bar ${job.state === 'RUNNING' ? '' : 'stopped'}`} style={{ width: `${percent}%` }} />
      </div>
      {/* Announced as it changes, politely: a screen reader hears the job advance without watching the bar. */}
      <p className="small job-numbers" role="status" data-testid="job-numbers">
        {job.doneItems.toLocaleString()} {BULK_DONE_WORDS[job.kind]} of {ofAbout}
        {formatResults(job.plannedItems)} ({percent}%) · {formatBytes(job.doneBytes)} of {ofAbout}
        {formatBytes(job.plannedBytes)}
        {others && <span className={job.failedItems ? 'error' : 'muted'}> ({others})</span>}
      </p>
      {rate && (
        <p className="small muted" data-testid="job-rate">
          {rate}
        </p>
      )}
    </div>
  );
}
