import type { EntityManager } from '@mikro-orm/postgresql';
import { OFFLOAD_TASK } from '../queue/offload-queue.js';
import { queueBulkBatchSql } from './bulk-queue.js';
import { SAME_BUCKET } from './orphans.js';

/**
 * MOVE: copy each result to another location and switch it there. REMOVE_LOCAL: delete the local
 * copies of a bucket's results whose objects read back as recorded. VERIFY: read each stored
 * object back and compare it with the SHA-256 recorded for it (a scrub), repairing from a local
 * copy where one exists. SCAN: register the results on the disk that were never finalized.
 */
export const BULK_JOB_KINDS = ['MOVE', 'REMOVE_LOCAL', 'VERIFY', 'SCAN'] as const;
export type BulkJobKind = (typeof BULK_JOB_KINDS)[number];
export const BULK_JOB_STATES = ['RUNNING', 'PAUSED', 'CANCELED', 'COMPLETED'] as const;
export type BulkJobState = (typeof BULK_JOB_STATES)[number];

/** Which results a job takes: every given condition holds. */
export interface BulkFilter {
  studio?: 'IMAGE' | 'VIDEO';
  /** Results whose path starts with this folder (`images/gemini/`). */
  pathPrefix?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export interface BulkJobRow {
  id: string;
  kind: BulkJobKind;
  state: BulkJobState;
  filter: BulkFilter;
  sourceLocationId: number;
  /** Null unless a move. */
  targetLocationId: number | null;
  deleteSource: boolean;
  /** At most this many results (a sample); null: all. */
  limitItems: number | null;
  plannedItems: number;
  plannedBytes: number;
  /** The planned numbers are an estimate (see plan); exact once the job completes. */
  plannedEstimated: boolean;
  cursor: string | null;
  /** Where a sample began (a random id): it walks to the end, then from the start up to here. */
  sampleStart: string | null;
  doneItems: number;
  doneBytes: number;
  skippedItems: number;
  failedItems: number;
  lastError: string | null;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  /** Seconds spent RUNNING before the current run (pauses excluded). */
  ranSeconds: number;
  /** When the current run began; null unless RUNNING. */
  runningSince: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** One result a move takes, as it is now. */
export interface MoveItem {
  id: string;
  path: string;
  contentType: string;
  size: number;
  sha256: string | null;
  locationId: number;
  objectKey: string | null;
  localCopy: boolean;
  /** Taken again from the job's failures (its cursor is past it). */
  retry: boolean;
}

const ITEM_COLUMNS = 'c.id, c.path, c.content_type, c.size, c.sha256, c.location_id, c.object_key, c.local_copy';

interface RawItem {
  id: string;
  path: string;
  content_type: string;
  size: string;
  sha256: string | null;
  location_id: number;
  object_key: string | null;
  local_copy: boolean;
}

const itemRow = (r: RawItem, retry = false): MoveItem => ({
  id: r.id,
  path: r.path,
  contentType: r.content_type,
  size: Number(r.size),
  sha256: r.sha256,
  locationId: Number(r.location_id),
  objectKey: r.object_key,
  localCopy: r.local_copy,
  retry,
});

interface Raw {
  id: string;
  kind: BulkJobKind;
  state: BulkJobState;
  filter: BulkFilter;
  source_location_id: number;
  target_location_id: number | null;
  delete_source: boolean;
  limit_items: string | null;
  planned_items: string;
  planned_bytes: string;
  planned_estimated: boolean;
  cursor: string | null;
  sample_start: string | null;
  done_items: string;
  done_bytes: string;
  skipped_items: string;
  failed_items: string;
  last_error: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  ran_seconds: number;
  running_since: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

const jobRow = (r: Raw): BulkJobRow => ({
  id: String(r.id),
  kind: r.kind,
  state: r.state,
  filter: r.filter,
  sourceLocationId: Number(r.source_location_id),
  targetLocationId: r.target_location_id === null ? null : Number(r.target_location_id),
  deleteSource: r.delete_source,
  limitItems: r.limit_items === null ? null : Number(r.limit_items),
  plannedItems: Number(r.planned_items),
  plannedBytes: Number(r.planned_bytes),
  plannedEstimated: r.planned_estimated,
  cursor: r.cursor,
  sampleStart: r.sample_start,
  doneItems: Number(r.done_items),
  doneBytes: Number(r.done_bytes),
  skippedItems: Number(r.skipped_items),
  failedItems: Number(r.failed_items),
  lastError: r.last_error,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  startedAt: r.started_at && new Date(r.started_at),
  ranSeconds: Number(r.ran_seconds),
  runningSince: r.running_since && new Date(r.running_since),
  finishedAt: r.finished_at && new Date(r.finished_at),
  updatedAt: new Date(r.updated_at),
});

/** Results a move may take: at rest (not waiting for or in an offload) and not held by another worker. */
const AT_REST = `c.offload_status in ('LOCAL', 'OFFLOADED') and (c.lease_token is null or c.lease_expires_at < now())`;

/** Which results each kind takes from its source location (besides the filter): at rest, and for a scrub or a local clean-up, stored in a bucket. */
const KIND_SQL: Record<BulkJobKind, string> = {
  MOVE: `c.offload_status in ('LOCAL', 'OFFLOADED')`,
  REMOVE_LOCAL: `c.offload_status = 'OFFLOADED' and c.local_copy`,
  VERIFY: `c.offload_status = 'OFFLOADED'`,
  // A scan walks the disk, not the table.
  SCAN: 'false',
};

/** The filter as SQL over creative `c`, with its parameters. */
function whereOf(sourceLocationId: number, filter: BulkFilter): [string, unknown[]] {
  const clauses: [string, unknown][] = [['c.location_id = ?', sourceLocationId]];
  if (filter.studio) clauses.push(['c.studio = ?', filter.studio]);
  // A folder: `images/gemini` takes images/gemini/… and not images/gemini2/….
  // In byte order ("C"), so the (location, path) index reads just the folder's range.
  if (filter.pathPrefix) clauses.push([`c.path collate "C" like ? escape '\\'`, `${filter.pathPrefix.replace(/[\\%_]/g, '\\$&')}/%`]);
  if (filter.createdAfter) clauses.push(['c.created_at >= ?', filter.createdAfter]);
  if (filter.createdBefore) clauses.push(['c.created_at < ?', filter.createdBefore]);
  return [clauses.map(([sql]) => sql).join(' and '), clauses.map(([, param]) => param)];
}

export type ItemOutcome = { kind: 'done'; bytes: number } | { kind: 'skipped' } | { kind: 'failed'; error: string };

/**
 * A result's outcome on its job (counters, cursor, failure list), inside the caller's transaction.
 * A result retried from the failure list leaves the cursor where it is, and its earlier failure
 * is taken off the list (and the count) only now, with its new outcome: a crash meanwhile leaves
 * it on the list, still to retry.
 */
async function recordOutcome(tx: EntityManager, jobId: string, item: Pick<MoveItem, 'id' | 'retry'>, outcome: ItemOutcome): Promise<void> {
  const counter = outcome.kind === 'done' ? 'done_items' : outcome.kind === 'skipped' ? 'skipped_items' : 'failed_items';
  // Whether the result was on the failure list already (failed again: still one failure).
  const failedBefore =
    outcome.kind === 'failed'
      ? (
          (await tx.execute(
            `insert into bulk_job_failure (job_id, creative_id, error) values (?, ?, ?)
             on conflict (job_id, creative_id) do update set error = excluded.error, retry = false, failed_at = now() returning (xmax <> 0) as replaced`,
            [jobId, item.id, outcome.error],
          )) as { replaced: boolean }[]
        ).filter((r) => r.replaced).length
      : (await tx.execute(`delete from bulk_job_failure where job_id = ? and creative_id = ? returning 1`, [jobId, item.id])).length;
  // One assignment per counter: a failure counts +1 on failed_items, less the earlier one it replaces.
  const counts = counter === 'failed_items' ? `failed_items = failed_items + 1 - ?` : `${counter} = ${counter} + 1, failed_items = failed_items - ?`;
  await tx.execute(
    `update bulk_job set ${item.retry ? '' : 'cursor = greatest(cursor, ?::uuid), '}${counts},
       done_bytes = done_bytes + ?, last_error = coalesce(?, last_error), updated_at = now() where id = ?`,
    [...(item.retry ? [] : [item.id]), failedBefore, outcome.kind === 'done' ? outcome.bytes : 0, outcome.kind === 'failed' ? outcome.error : null, jobId],
  );
}

const finished = (job: BulkJobRow) => job.doneItems + job.skippedItems + job.failedItems;
const LOWEST_UUID = '00000000-0000-0000-0000-000000000000';

/** Up to about this many matching results a dry run counts exactly (through an index: milliseconds); beyond, it estimates. */
const EXACT_BELOW = 20_000;
/**
 * About how many of the table's pages an estimate reads, chosen at random: at 10 million results
 * about 10,000 rows, a few milliseconds once cached (the same pages each time). Pages, not rows:
 * results written together share pages, so the estimate's spread follows the number of pages.
 */
const SAMPLE_PAGES = 1_000;

/** What a job over a filter would take; `estimated`: counted from a sample, not exactly. */
export interface BulkPlan {
  items: number;
  bytes: number;
  estimated: boolean;
}

/** Bulk jobs, their failures, and the source objects moves left to delete. Works inside the caller's transaction (`em.execute`). */
export class BulkJobRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * How many results (and bytes) a job over this filter would take now, in milliseconds at 10
   * million results. Without a folder, dates or the local-copy flag: an exact sum over the tally's
   * few groups. With them: first an estimate — the share of a random sample of the table's pages
   * that matches, times what the tally says the location holds — and where that is at most
   * `exactBelow` results, the exact count, which an index keeps quick for so few (a folder, a date
   * range, the local copies each have one). An estimate stands only for millions of rows to read.
   */
  async plan(kind: BulkJobKind, sourceLocationId: number, filter: BulkFilter, limit: number | null, exactBelow = EXACT_BELOW): Promise<BulkPlan> {
    const [where, params] = whereOf(sourceLocationId, filter);
    const condition = `${where} and ${KIND_SQL[kind]}`;
    // The tally has no folder, dates or local-copy flag.
    const fromTally = kind !== 'REMOVE_LOCAL' && !filter.pathPrefix && !filter.createdAfter && !filter.createdBefore;
    let counted: BulkPlan;
    if (fromTally) {
      counted = await this.tallied(condition, params);
    } else {
      const estimate = await this.estimate(condition, params, sourceLocationId);
      counted =
        estimate && estimate.items > exactBelow
          ? estimate
          : await this.sum(`select count(*) as items, coalesce(sum(c.size), 0) as bytes from creative c where ${condition}`, params);
    }
    const { items, bytes } = counted;
    // A sample's bytes are estimated from the average size: it is chosen as it runs.
    return limit !== null && limit < items ? { ...counted, items: limit, bytes: Math.round((bytes / items) * limit) } : counted;
  }

  /** Results and bytes from the tally's groups (kept counts: no folder, dates or local-copy flag in `condition`). */
  private tallied(condition: string, params: unknown[]): Promise<BulkPlan> {
    return this.sum(`select coalesce(sum(results), 0) as items, coalesce(sum(bytes), 0) as bytes from creative_tally_now c where ${condition}`, params);
  }

  private async sum(sql: string, params: unknown[]): Promise<BulkPlan> {
    const [row] = (await this.em.execute(sql, params)) as { items: string; bytes: string }[];
    return { items: Number(row?.items ?? 0), bytes: Number(row?.bytes ?? 0), estimated: false };
  }

  /** An estimate from a random sample of the table's pages; null when the sample held none of the location's results (a small location: count it). */
  private async estimate(condition: string, params: unknown[], locationId: number): Promise<BulkPlan | null> {
    const [table] = (await this.em.execute(`select greatest(relpages, 1) as pages from pg_class where oid = 'creative'::regclass`)) as { pages: number }[];
    const percent = Math.min(100, Math.max(0.001, (SAMPLE_PAGES / Number(table?.pages ?? 1)) * 100));
    // The same pages every time (repeatable): the dry run does not jitter as the form changes, and they stay cached.
    const [sample] = (await this.em.execute(
      `select count(*) filter (where ${condition}) as items, coalesce(sum(c.size) filter (where ${condition}), 0) as bytes,
         count(*) filter (where c.location_id = ?) as location_items, coalesce(sum(c.size) filter (where c.location_id = ?), 0) as location_bytes
       from creative c tablesample system (${percent.toFixed(4)}) repeatable (0)`,
      [...params, ...params, locationId, locationId],
    )) as { items: string; bytes: string; location_items: string; location_bytes: string }[];
    if (!Number(sample?.location_items)) return null;
    const location = await this.tallied('c.location_id = ?', [locationId]);
    const share = (part: string | undefined, whole: string | undefined) => (Number(whole) ? Number(part) / Number(whole) : 0);
    return {
      items: Math.round(location.items * share(sample!.items, sample!.location_items)),
      bytes: Math.round(location.bytes * share(sample!.bytes, sample!.location_bytes)),
      estimated: true,
    };
  }

  async insert(
    job: Pick<
      BulkJobRow,
      | 'kind'
      | 'filter'
      | 'sourceLocationId'
      | 'targetLocationId'
      | 'deleteSource'
      | 'limitItems'
      | 'plannedItems'
      | 'plannedBytes'
      | 'plannedEstimated'
      | 'createdBy'
    >,
    sampleStart: string | null = null,
  ): Promise<BulkJobRow> {
    const [row] = (await this.em.execute(
      `insert into bulk_job (kind, filter, source_location_id, target_location_id, delete_source, limit_items, planned_items, planned_bytes,
         planned_estimated, created_by, cursor, sample_start, started_at, running_since)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now()) returning *`,
      [
        job.kind,
        JSON.stringify(job.filter),
        job.sourceLocationId,
        job.targetLocationId,
        job.deleteSource,
        job.limitItems,
        job.plannedItems,
        job.plannedBytes,
        job.plannedEstimated,
        job.createdBy,
        sampleStart,
        sampleStart,
      ],
    )) as Raw[];
    return jobRow(row!);
  }

  async get(id: string): Promise<BulkJobRow | null> {
    const [row] = (await this.em.execute(`select * from bulk_job where id = ?`, [id])) as Raw[];
    return row ? jobRow(row) : null;
  }

  /** Newest first; running and paused jobs always, then the latest finished ones. */
  async list(limit: number): Promise<BulkJobRow[]> {
    return ((await this.em.execute(`select * from bulk_job order by (state in ('RUNNING', 'PAUSED')) desc, id desc limit ?`, [limit])) as Raw[]).map(jobRow);
  }

  /**
   * Running jobs with no batch left to run them (a worker killed on a batch's last try, a failure
   * while pausing it): untouched for a minute, and no runnable `bulk:<id>` job in the queue.
   */
  async stranded(): Promise<string[]> {
    const rows = (await this.em.execute(
      `select b.id from bulk_job b where b.state = 'RUNNING' and b.updated_at < now() - interval '1 minute'
         and not exists (select 1 from graphile_worker.jobs j where j.key = 'bulk:' || b.id and j.attempts < j.max_attempts)`,
    )) as { id: string }[];
    return rows.map((r) => String(r.id));
  }

  /** Queues the job's next batch (now, or `afterSeconds` from now). */
  async queueBatch(id: string, afterSeconds = 0): Promise<void> {
    await this.em.execute(`select ${queueBulkBatchSql(afterSeconds)}`, [id, id]);
  }

  /** Moves the job from one of `from` to `to` (setting its last error when given); null when it was in none of them. */
  async transition(id: string, from: BulkJobState[], to: BulkJobState, lastError?: string | null): Promise<BulkJobRow | null> {
    const finished = to === 'CANCELED' || to === 'COMPLETED';
    // On the right of SET, `state` and `running_since` are the row's values before this update.
    // A completed job's estimate gives way to what it found.
    const exact =
      to === 'COMPLETED'
        ? `planned_items = case when planned_estimated then done_items + skipped_items + failed_items else planned_items end,
           planned_bytes = case when planned_estimated and limit_items is null then done_bytes else planned_bytes end, planned_estimated = false,`
        : '';
    const [row] = (await this.em.execute(
      `update bulk_job set state = ?, updated_at = now(), finished_at = ${finished ? 'now()' : 'null'}, ${exact}
         ${lastError === undefined ? '' : 'last_error = ?,'}
         ran_seconds = ran_seconds + case when state = 'RUNNING' and running_since is not null then extract(epoch from now() - running_since) else 0 end,
         running_since = ${to === 'RUNNING' ? 'now()' : 'null'}
       where id = ? and state in (${from.map(() => '?').join(', ')}) returning *`,
      [to, ...(lastError === undefined ? [] : [lastError]), id, ...from],
    )) as Raw[];
    return row ? jobRow(row) : null;
  }

  /**
   * The next results after the job's cursor, in id order. A sample walks from its random start to
   * the end, then wraps (the cursor back to the lowest id) and walks from the start up to where it
   * began, so it comes up short only when the location holds fewer results than it asked for.
   */
  async nextItems(job: BulkJobRow, limit: number): Promise<MoveItem[]> {
    const wanted = job.limitItems === null ? limit : Math.max(0, Math.min(limit, job.limitItems - finished(job)));
    if (!wanted) return [];
    const [where, params] = whereOf(job.sourceLocationId, job.filter);
    const wrapped = job.sampleStart !== null && job.cursor !== null && job.cursor < job.sampleStart;
    const rows = (await this.em.execute(
      `select ${ITEM_COLUMNS} from creative c
       where ${where} and ${KIND_SQL[job.kind]} ${job.cursor ? 'and c.id > ?' : ''} ${wrapped ? 'and c.id <= ?' : ''} order by c.id limit ?`,
      [...params, ...(job.cursor ? [job.cursor] : []), ...(wrapped ? [job.sampleStart] : []), wanted],
    )) as RawItem[];
    if (!rows.length && job.sampleStart !== null && !wrapped) {
      const [again] = (await this.em.execute(`update bulk_job set cursor = ? where id = ? and cursor = ? returning *`, [
        LOWEST_UUID,
        job.id,
        job.cursor,
      ])) as Raw[];
      return again ? this.nextItems(jobRow(again), limit) : [];
    }
    return rows.map((r) => itemRow(r));
  }

  /**
   * Results of the job whose failure the admin asked to retry, as they are now. They stay on the
   * failure list until their new outcome is recorded (see recordOutcome); a failure whose result
   * is gone, or has left the job's source, is settled here as skipped.
   */
  async takeRetries(job: BulkJobRow, limit: number): Promise<MoveItem[]> {
    await this.em.execute(
      `with settled as (
         delete from bulk_job_failure f where f.job_id = ? and f.retry
           and not exists (select 1 from creative c where c.id = f.creative_id and c.location_id = ?) returning 1)
       update bulk_job set failed_items = failed_items - (select count(*) from settled), skipped_items = skipped_items + (select count(*) from settled)
       where id = ? and exists (select 1 from settled)`,
      [job.id, job.sourceLocationId, job.id],
    );
    const rows = (await this.em.execute(
      `select ${ITEM_COLUMNS} from bulk_job_failure f join creative c on c.id = f.creative_id
       where f.job_id = ? and f.retry and c.location_id = ? order by c.id limit ?`,
      [job.id, job.sourceLocationId, limit],
    )) as RawItem[];
    return rows.map((r) => itemRow(r, true));
  }

  /** Marks every failure of the job for another try; the job's last error goes with them (a new failure sets it again). */
  async markRetries(jobId: string): Promise<number> {
    const marked = (await this.em.execute(`update bulk_job_failure set retry = true where job_id = ? returning 1`, [jobId])).length;
    if (marked) await this.em.execute(`update bulk_job set last_error = null where id = ?`, [jobId]);
    return marked;
  }

  /** An active (running or paused) job that changes where the results of this location live, if any. */
  async activeChangingJob(sourceLocationId: number): Promise<BulkJobRow | null> {
    const [row] = (await this.em.execute(
      `select * from bulk_job where state in ('RUNNING', 'PAUSED') and kind in ('MOVE', 'REMOVE_LOCAL') and source_location_id = ? order by id limit 1`,
      [sourceLocationId],
    )) as Raw[];
    return row ? jobRow(row) : null;
  }

  /**
   * Leases one result for a move, if it is still at rest where the job found it: 'busy' when
   * another worker holds it (an offload, or a move whose worker died: its lease runs out), 'gone'
   * when it was deleted or is no longer in the source.
   */
  async claim(item: MoveItem, token: string, leaseSeconds: number): Promise<'claimed' | 'busy' | 'gone'> {
    const claimed = await this.em.execute(
      `update creative c set lease_token = ?, lease_expires_at = now() + (? * interval '1 second')
       where c.id = ? and c.location_id = ? and ${AT_REST} returning c.id`,
      [token, leaseSeconds, item.id, item.locationId],
    );
    if (claimed.length) return 'claimed';
    const [row] = (await this.em.execute(`select location_id, offload_status from creative where id = ?`, [item.id])) as {
      location_id: number;
      offload_status: string;
    }[];
    return row && Number(row.location_id) === item.locationId ? 'busy' : 'gone';
  }

  async renew(id: string, token: string, leaseSeconds: number): Promise<void> {
    await this.em.execute(`update creative set lease_expires_at = now() + (? * interval '1 second') where id = ? and lease_token = ?`, [
      leaseSeconds,
      id,
      token,
    ]);
  }

  /** What a verification of the result's stored object found, while the lease holds. */
  async recordIntegrity(id: string, token: string, integrity: 'OK' | 'MISSING' | 'MISMATCH' | 'REPAIRED'): Promise<void> {
    await this.em.execute(`update creative set integrity = ?, integrity_checked_at = now() where id = ? and lease_token = ?`, [integrity, id, token]);
  }

  /** Marks the local copy for deletion (its object just read back as recorded), while the lease holds; false when it no longer does. */
  async markLocalDeletePending(item: MoveItem, token: string, jobId: string): Promise<boolean> {
    return this.em.transactional(async (tx) => {
      const updated = await tx.execute(
        `update creative set local_delete_pending = true, integrity = 'OK', integrity_checked_at = now()
         where id = ? and lease_token = ? and offload_status = 'OFFLOADED' returning id`,
        [item.id, token],
      );
      if (!updated.length) return false;
      // Counted with the mark, for the same reason as a move's switch.
      await recordOutcome(tx, jobId, item, { kind: 'done', bytes: item.size });
      return true;
    });
  }

  /** Which of these lease tokens a result still holds, unexpired. */
  async heldLeases(tokens: string[]): Promise<Set<string>> {
    const rows = (await this.em.execute(
      `select lease_token from creative where lease_token in (${tokens.map(() => '?').join(', ')}) and lease_expires_at > now()`,
      tokens,
    )) as {
      lease_token: string;
    }[];
    return new Set(rows.map((r) => r.lease_token));
  }

  async release(id: string, token: string): Promise<void> {
    await this.em.execute(`update creative set lease_token = null, lease_expires_at = null where id = ? and lease_token = ?`, [id, token]);
  }

  /**
   * Points the result at its verified copy, while the lease holds, and in the same statement
   * records the source object (or, for a local source, the local file) to delete afterwards.
   * False when the lease was lost or the result is gone: the copy is then the caller's to remove.
   */
  async switchTo(
    item: MoveItem,
    token: string,
    target: { locationId: number; objectKey: string | null; sha256: string; local: boolean; size: number },
    job: { id: string; deleteSource: boolean },
  ): Promise<boolean> {
    const { deleteSource } = job;
    return this.em.transactional(async (tx) => {
      const status = target.local ? 'LOCAL' : 'OFFLOADED';
      // A local copy stays a local copy unless it is the source the move was asked to delete.
      const localCopy = target.local || (item.localCopy && !(deleteSource && item.locationId === 1));
      // That one goes once the switch commits (finishPendingLocalDeletes); no other local copy does.
      const localDeletePending = item.localCopy && !localCopy;
      const updated = await tx.execute(
        `update creative set location_id = ?, object_key = ?, sha256 = ?, offload_status = ?, local_copy = ?,
           local_delete_pending = ?, offloaded_at = ${target.local ? 'offloaded_at' : 'coalesce(offloaded_at, now())'},
           lease_token = null, lease_expires_at = null, updated_at = now()
         where id = ? and lease_token = ? returning id`,
        [target.locationId, target.objectKey, target.sha256, status, localCopy, localDeletePending, item.id, token],
      );
      if (!updated.length) return false;
      if (deleteSource && item.locationId !== 1 && item.objectKey) {
        await tx.execute(`insert into bulk_pending_delete (location_id, object_key) values (?, ?)`, [item.locationId, item.objectKey]);
      }
      // Counted with the switch: a crash right after cannot lose it (the result is no longer in the source to be found again).
      await recordOutcome(tx, job.id, item, { kind: 'done', bytes: target.size });
      return true;
    });
  }

  /** A scan's size, once its counting walk has found it. */
  async setPlan(jobId: string, plan: { items: number; bytes: number }): Promise<void> {
    await this.em.execute(`update bulk_job set planned_items = ?, planned_bytes = ?, planned_estimated = false, updated_at = now() where id = ?`, [
      plan.items,
      plan.bytes,
      jobId,
    ]);
  }

  /** Adds a scan's progress: results registered (and their bytes), files already known, files that are not results (one named). */
  async addCounts(jobId: string, delta: { done: number; bytes: number; skipped: number; failed: number; example: string | null }): Promise<void> {
    await this.em.execute(
      `update bulk_job set done_items = done_items + ?, done_bytes = done_bytes + ?, skipped_items = skipped_items + ?, failed_items = failed_items + ?,
         last_error = coalesce(?, last_error), updated_at = now() where id = ?`,
      [delta.done, delta.bytes, delta.skipped, delta.failed, delta.example, jobId],
    );
  }

  /** Records one result's outcome (and, unless it was retried, moves the cursor past it). */
  async progress(jobId: string, item: Pick<MoveItem, 'id' | 'retry'>, outcome: ItemOutcome): Promise<void> {
    await this.em.transactional((tx) => recordOutcome(tx, jobId, item, outcome));
  }

  async failures(jobId: string, limit: number): Promise<{ creativeId: string; path: string | null; error: string; failedAt: Date }[]> {
    const rows = (await this.em.execute(
      `select f.creative_id, c.path, f.error, f.failed_at from bulk_job_failure f left join creative c on c.id = f.creative_id
       where f.job_id = ? order by f.failed_at desc limit ?`,
      [jobId, limit],
    )) as { creative_id: string; path: string | null; error: string; failed_at: Date }[];
    return rows.map((r) => ({ creativeId: r.creative_id, path: r.path, error: r.error, failedAt: new Date(r.failed_at) }));
  }

  async pendingDeletes(limit: number): Promise<{ id: string; locationId: number; objectKey: string }[]> {
    const rows = (await this.em.execute(`select id, location_id, object_key from bulk_pending_delete order by id limit ?`, [limit])) as {
      id: string;
      location_id: number;
      object_key: string;
    }[];
    return rows.map((r) => ({ id: String(r.id), locationId: Number(r.location_id), objectKey: r.object_key }));
  }

  /** Holds a recorded deletion until the transaction ends; false when another worker holds it or it is done. */
  async holdPendingDelete(id: string): Promise<boolean> {
    return (await this.em.execute(`select id from bulk_pending_delete where id = ? for update skip locked`, [id])).length > 0;
  }

  /**
   * Takes back the recorded deletions of this object, in any location of its bucket (waiting for one
   * in progress to finish): something is about to be written there.
   */
  async cancelPendingDelete(locationId: number, objectKey: string): Promise<void> {
    await this.em.execute(`delete from bulk_pending_delete where location_id in ${SAME_BUCKET} and object_key = ?`, [locationId, objectKey]);
  }

  async deleted(id: string): Promise<void> {
    await this.em.execute(`delete from bulk_pending_delete where id = ?`, [id]);
  }

  /**
   * Whether a new result's offload is ready to run and no worker has taken it: bulk work gives up
   * its worker for it. (An offload waiting out a retry delay, or already running, does not count:
   * a bucket outage must not stop a job that works elsewhere.) Asked before every result a job
   * moves, so the common case, no result queued at all, is one probe of a small index.
   */
  async offloadsWaiting(): Promise<boolean> {
    if (!(await this.em.execute(`select 1 from creative where offload_status = 'QUEUED' limit 1`)).length) return false;
    const ready = await this.em.execute(
      `select 1 from graphile_worker.jobs where task_identifier = ? and locked_at is null and run_at <= now() and attempts < max_attempts limit 1`,
      [OFFLOAD_TASK],
    );
    return ready.length > 0;
  }
}
