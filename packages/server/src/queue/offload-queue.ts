import { isUuid } from '../util/uuid.js';

/**
 * The offload job queue (graphile-worker, in PostgreSQL): the task's name, its payload and the
 * SQL that queues it, in one place. A creative has at most one waiting job (the job key is its
 * id); the queue's own attempt limit is set high because `offload_attempts` (OFFLOAD_MAX_ATTEMPTS)
 * decides when an offload has failed for good. Repositories splice these fragments into their
 * statements, so a job is always queued in the same transaction as the row it is about.
 */
export const OFFLOAD_TASK = 'offload';
export const QUEUE_MAX_ATTEMPTS = 25;

export interface OffloadPayload {
  creativeId: string;
}

/** The creative id of a job's payload, or null when the payload is not one of ours. */
export function creativeIdOf(payload: unknown): string | null {
  const creativeId = (payload as Partial<OffloadPayload> | null)?.creativeId;
  return typeof creativeId === 'string' && isUuid(creativeId) ? creativeId : null;
}

/** An expression that queues the offload of the creative whose id is the parameter (bound twice: payload and key). */
export const QUEUE_ONE_SQL = `graphile_worker.add_job(
  '${OFFLOAD_TASK}', json_build_object('creativeId', ?::text), job_key => ?::text, max_attempts => ${QUEUE_MAX_ATTEMPTS})`;

/** An expression that queues one offload for each `id` that `relation` (a table or CTE name, with a where clause) yields. */
export const queueEachSql = (relation: string) =>
  `graphile_worker.add_jobs(array(
     select row('${OFFLOAD_TASK}', json_build_object('creativeId', id::text), null::text, null::timestamptz, ${QUEUE_MAX_ATTEMPTS}, id::text,
       null::int, null::text[])::graphile_worker.job_spec
     from ${relation}
   ))`;

/** A condition that holds when creative `alias` has a queued job that can still run. */
export const hasRunnableJobSql = (alias: string) =>
  `exists (select 1 from graphile_worker.jobs j where j.key = ${alias}.id::text and j.attempts < j.max_attempts)`;
