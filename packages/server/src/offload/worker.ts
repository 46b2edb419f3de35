import { EventEmitter } from 'node:events';
import { makeWorkerUtils, run, type Runner, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { isUuid } from '../util/uuid.js';
import { finishPendingLocalDeletes, offloadCreative, OFFLOAD_TASK, requeueOrphans, type OffloadDeps } from './offload.job.js';
import { queueLogger } from './queue-logger.js';

export interface OffloadWorker {
  stop(): Promise<void>;
}

/**
 * Runs offload jobs from the PostgreSQL queue (graphile-worker). Any number of these may run,
 * in API processes or alone; a job is locked by one worker at a time. Each worker heartbeats,
 * and the jobs of a worker whose heartbeat stopped (a crash, a SIGKILL) are unlocked for the
 * others instead of staying locked for the queue's four hours.
 */
export async function startOffloadWorker(deps: OffloadDeps, databaseUrl: string): Promise<OffloadWorker> {
  const { config, logger } = deps;
  const db = deps.orm.em.getConnection();
  const leaseSeconds = config.offload.leaseSeconds;
  // graphile-worker locks jobs in the name of the worker pool, so the pool is what heartbeats.
  const workerIds = new Set<string>();
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => void workerIds.add(workerPool.id));

  // Our own pool, so a connection the server drops (a restart, a shutdown) is logged, not fatal.
  const pgPool = new pg.Pool({ connectionString: databaseUrl, max: config.offload.concurrency + 2 });
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
    taskList: {
      [OFFLOAD_TASK]: async (payload) => {
        const creativeId = (payload as { creativeId?: unknown })?.creativeId;
        if (typeof creativeId !== 'string' || !isUuid(creativeId)) {
          logger.error({ payload }, 'offload job without a valid creative id: dropped');
          return;
        }
        await offloadCreative(deps, creativeId);
      },
    },
  });

  const tick = async () => {
    if (workerIds.size) {
      await db.execute(
        // Ids as one JSON parameter: the query builder would spread an array into many.
        `insert into offload_worker (worker_id, heartbeat_at) select value, now() from json_array_elements_text(?::json) on conflict (worker_id) do update set heartbeat_at = now()`,
        [JSON.stringify([...workerIds])],
      );
    }
    const dead = (await db.execute(`delete from offload_worker where heartbeat_at < now() - (? * interval '1 second') returning worker_id`, [leaseSeconds])) as { worker_id: string }[];
    if (dead.length) {
      await utils.forceUnlockWorkers(dead.map((d) => d.worker_id));
      logger.warn({ workers: dead.map((d) => d.worker_id) }, 'released the jobs of offload workers that stopped heartbeating');
    }
    const requeued = await requeueOrphans(deps);
    if (requeued) logger.warn({ requeued }, 'queued creatives again that had no runnable offload job');
    const removed = await finishPendingLocalDeletes(deps);
    if (removed) logger.info({ removed }, 'removed local copies a crash left behind after their upload was verified');
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
      if (ours.length) await db.execute(`delete from offload_worker where worker_id in (select value from json_array_elements_text(?::json))`, [JSON.stringify(ours)]).catch(() => undefined);
      await utils.release();
      await pgPool.end();
    },
  };
}
