import { EventEmitter } from 'node:events';
import { makeWorkerUtils, run, type Runner, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import type { Scope } from '../app/composition.js';
import { queueLogger } from '../log/logger.js';
import { finishPendingLocalDeletes, offloadCreative, type OffloadDeps } from './offload.job.js';
import { creativeIdOf, OFFLOAD_TASK } from '../queue/offload-queue.js';
import { pauseAfterLastAttempt, removeLeftSources, removeLeftTempFiles, requeueStranded, runBulkBatch, startDailySample } from '../bulk/bulk.task.js';
import { BULK_TASK, bulkJobIdOf, VERIFY_SAMPLE_CRONTAB, VERIFY_SAMPLE_TASK } from '../bulk/bulk-queue.js';
import { WorkerHeartbeatsRepository } from './worker-heartbeats.repository.js';
import { MAX_THROUGHPUT_HOURS } from '../overview/overview.service.js';

/**
 * Keeps the per-location usage, the per-group tally and the hourly offloads cheap to read: folds
 * the changes appended since the last fold (any process may fold; each change moves once).
 */
export async function foldCounts(scope: Pick<Scope, 'locations' | 'creativeRepository'>): Promise<void> {
  await scope.locations.foldUsage();
  await scope.creativeRepository.foldTally();
  await scope.creativeRepository.foldOffloadHours(MAX_THROUGHPUT_HOURS + 24);
}

export interface OffloadWorker {
  stop(): Promise<void>;
}

/**
 * Runs offload jobs from the PostgreSQL queue (graphile-worker). Any number of these may run,
 * in API processes or alone; a job is locked by one worker at a time. Each worker heartbeats,
 * and the jobs of a worker whose heartbeat stopped (a crash, a SIGKILL) are unlocked for the
 * others instead of staying locked for the queue's four hours.
 */
export async function startOffloadWorker(deps: OffloadDeps & { databaseUrl: string }): Promise<OffloadWorker> {
  const { config, logger, databaseUrl } = deps;
  const heartbeats = new WorkerHeartbeatsRepository(deps.scope().em);
  const leaseSeconds = config.offload.leaseSeconds;
  // graphile-worker locks jobs in the name of the worker pool, so the pool is what heartbeats.
  const workerIds = new Set<string>();
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => void workerIds.add(workerPool.id));

  // Our own pool, so a connection the server drops (a restart, a shutdown) is logged, not fatal.
  // Connections outlive quiet spells (node-pg closes idle ones after 10 s by default): reconnecting costs PostgreSQL more than the jobs.
  const pgPool = new pg.Pool({ connectionString: databaseUrl, max: config.offload.concurrency + 2, idleTimeoutMillis: 60_000 });
  const lost = (error: Error) => logger.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, 'job queue connection lost');
  pgPool.on('error', lost);
  pgPool.on('connect', (client) => client.on('error', lost));
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool, logger: queueLogger(logger) });
  const runner: Runner = await run({
    pgPool,
    concurrency: config.offload.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: queueLogger(logger),
    events,
    // The daily sample scrub; graphile-worker runs a crontab item once across all workers.
    crontab: VERIFY_SAMPLE_CRONTAB,
    taskList: {
      [OFFLOAD_TASK]: async (payload, helpers) => {
        const creativeId = creativeIdOf(payload);
        if (!creativeId) {
          logger.error({ payload }, 'offload job without a valid creative id: dropped');
          return;
        }
        // Aborted by graphile-worker when a shutdown outlasts its grace period.
        await offloadCreative(deps, creativeId, helpers.abortSignal);
      },
      [BULK_TASK]: async (payload, helpers) => {
        const jobId = bulkJobIdOf(payload);
        if (!jobId) {
          logger.error({ payload }, 'bulk job batch without a valid job id: dropped');
          return;
        }
        try {
          await runBulkBatch(deps, jobId, helpers.abortSignal);
        } catch (error) {
          if (helpers.job.attempts >= helpers.job.max_attempts && !helpers.abortSignal?.aborted) await pauseAfterLastAttempt(deps, jobId, error);
          throw error;
        }
      },
      [VERIFY_SAMPLE_TASK]: async () => {
        const started = await startDailySample(deps);
        if (started) logger.info({ started }, 'started the daily sample verification of stored objects');
      },
    },
  });

  const tick = async () => {
    if (workerIds.size) await heartbeats.beat([...workerIds]);
    const dead = await heartbeats.removeSilent(leaseSeconds);
    if (dead.length) {
      await utils.forceUnlockWorkers(dead);
      logger.warn({ workers: dead }, 'released the jobs of offload workers that stopped heartbeating');
    }
    // A safety net for creatives waiting on a job that no longer exists or can no longer run.
    const requeued = await deps.scope().creativeRepository.requeueOrphans(leaseSeconds * 2);
    if (requeued) logger.warn({ requeued }, 'queued creatives again that had no runnable offload job');
    const removed = await finishPendingLocalDeletes(deps);
    if (removed) logger.info({ removed }, 'removed local copies a crash left behind after their upload was verified');
    const stranded = await requeueStranded(deps);
    if (stranded) logger.warn({ jobs: stranded }, 'queued a batch again for running bulk jobs that had none left');
    const temps = await removeLeftTempFiles(deps);
    if (temps) logger.info({ removed: temps }, 'removed the temporary copies of moves a crash interrupted');
    const sources = await removeLeftSources(deps);
    if (sources) logger.info({ removed: sources }, 'deleted source objects a crash left behind after their move was recorded');
    await foldCounts(deps.scope());
  };
  const safeTick = () => tick().catch((error) => logger.warn({ err: error }, 'offload worker heartbeat failed'));
  await safeTick();
  const timer = setInterval(safeTick, (leaseSeconds * 1000) / 3);
  logger.info({ concurrency: config.offload.concurrency }, 'offload worker started');

  return {
    stop: async () => {
      clearInterval(timer);
      const ours = [...workerIds];
      await runner.stop();
      if (ours.length) await heartbeats.remove(ours).catch(() => undefined);
      await utils.release();
      await pgPool.end();
    },
  };
}
