/**
 * Bulk jobs run on the offload queue (graphile-worker) as one batch at a time: a batch queues the
 * next when it ends. Their priority is below every offload's (lower numbers run first), so new
 * results from the studios never wait behind the library.
 */
export const BULK_TASK = 'bulk';
export const BULK_PRIORITY = 10;
/** Tries of one batch (graphile-worker's backoff spreads them over hours) before its job is paused with the error. */
export const BULK_MAX_ATTEMPTS = 25;

export interface BulkPayload {
  jobId: string;
}

export function bulkJobIdOf(payload: unknown): string | null {
  const jobId = (payload as Partial<BulkPayload> | null)?.jobId;
  return typeof jobId === 'string' && /^\d{1,18}$/.test(jobId) ? jobId : null;
}

/**
 * An expression that queues the next batch of the bulk job whose id is the parameter (bound twice:
 * payload and key), `afterSeconds` from now: a batch that stopped to let new results' offloads have
 * its worker comes back a moment after them, not in a loop against them; one that finished its
 * results goes on at once.
 */
export const queueBulkBatchSql = (afterSeconds = 0) => `graphile_worker.add_job(
  '${BULK_TASK}', json_build_object('jobId', ?::text), job_key => 'bulk:' || ?::text, priority => ${BULK_PRIORITY}, max_attempts => ${BULK_MAX_ATTEMPTS},
  run_at => now() + interval '${afterSeconds} seconds')`;

/** The daily sample scrub: at 03:00 UTC, graphile-worker's crontab queues it once for all workers. */
export const VERIFY_SAMPLE_TASK = 'verify-sample';
export const VERIFY_SAMPLE_CRONTAB = `0 3 * * * ${VERIFY_SAMPLE_TASK}`;
