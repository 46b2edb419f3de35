import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProviderKey } from '@offload/types';
import { LOCAL_LOCATION_ID } from '../storage/storage-locations.service.js';
import { hasRunnableJobSql, QUEUE_ONE_SQL, queueEachSql } from '../queue/offload-queue.js';
import { Creative, type OffloadStatus, type Studio } from './creative.entity.js';

/**
 * Every query about creatives, each a named method: services and jobs hold the rules, this holds
 * the SQL. The offload status machine lives here: a creative moves LOCAL → (QUEUED → UPLOADING →
 * OFFLOADED | QUEUED | FAILED), and an upload's outcome is written only while its worker still
 * holds the lease it claimed.
 */

export interface NewCreative {
  id: string;
  path: string;
  studio: Studio;
  content_type: string;
  metadata: Record<string, unknown>;
  size: number;
  target_provider: ProviderKey | null;
  offload_status: OffloadStatus;
}

export interface CreativeFilter {
  /** Any of these storage locations. */
  locationIds?: number[] | null;
  status?: OffloadStatus | null;
  studio?: Studio | null;
}

export interface QueueCounts {
  queued: number;
  uploading: number;
  failed: number;
}

/** Where a page starts: after this creative, newest first. `createdAt` keeps PostgreSQL's microseconds (a JS Date would drop them). */
export interface PagePosition {
  createdAt: string;
  id: string;
}

export interface Page {
  first: number;
  /** Newest first: creatives created before this one (and, at the same time, with a smaller id). */
  before?: PagePosition | null;
}

/** A creative claimed for upload. */
export interface ClaimedCreative {
  path: string;
  contentType: string;
  targetProvider: string;
  attempts: number;
}

/** How an upload ended, written while the worker holds the lease. */
export type UploadOutcome =
  | { kind: 'offloaded'; locationId: number; objectKey: string; sha256: string; size: number; deleteLocalCopy: boolean }
  /** The target can no longer take it: it stays on this server for good, with the reason. */
  | { kind: 'kept-local'; reason: string }
  /** The attempt failed: queued again, or FAILED when it was the last. */
  | { kind: 'attempt-failed'; error: string; final: boolean }
  /** Stopped by a shutdown: queued again, the attempt not counted. */
  | { kind: 'interrupted' };

type Connection = ReturnType<EntityManager['getConnection']>;

/**
 * Records finalized creatives and queues their offload jobs in one statement per batch: while
 * one batch is on its way, the finalizes that arrive meanwhile wait for the next, so under load
 * one round trip, one commit and one queue notification carry many. Creative and job are
 * written together (a creative is never QUEUED without its job); ON CONFLICT makes concurrent
 * finalizes of one path safe. One per process (the composition root owns it).
 */
export class FinalizeBatcher {
  private pending: { row: NewCreative; settle: (result: Record<string, unknown> | null, error?: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly connection: Connection) {}

  /** The inserted row, or null when the path was already finalized. */
  insert(row: NewCreative): Promise<Record<string, unknown> | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, settle: (result, error) => (error ? reject(error) : resolve(result)) });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    while (this.pending.length) {
      const batch = this.pending.splice(0, 200);
      try {
        const rows = (await this.connection.execute(
          `with input as (
             select * from json_to_recordset(?::json) as x(id uuid, path text, studio text, content_type text, metadata jsonb, size bigint,
               target_provider text, offload_status text)
           ), inserted as (
             insert into creative (id, path, studio, content_type, metadata, size, target_provider, offload_status, location_id, local_copy,
               offload_attempts, created_at, updated_at)
             select id, path, studio, content_type, metadata, size, target_provider, offload_status, ${LOCAL_LOCATION_ID}, true, 0, now(), now() from input
             on conflict (path) do nothing
             returning *
           ), queued as (
             select ${queueEachSql('inserted where target_provider is not null')}
           )
           select inserted.* from inserted where (select count(*) from queued) >= 0`,
          [JSON.stringify(batch.map((b) => b.row))],
        )) as Record<string, unknown>[];
        const byId = new Map(rows.map((r) => [String(r.id), r]));
        for (const b of batch) b.settle(byId.get(b.row.id) ?? null);
      } catch (error) {
        for (const b of batch) b.settle(null, error);
      }
    }
    this.flushing = false;
  }
}

/** The filter as SQL over anything with location_id, offload_status and studio (a creative, a group of the tally); null when it matches nothing. */
function filterSql(filter: CreativeFilter): { sql: string; params: unknown[] } | null {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.locationIds) {
    if (!filter.locationIds.length) return null;
    clauses.push(`location_id in (${filter.locationIds.map(() => '?').join(', ')})`);
    params.push(...filter.locationIds);
  }
  if (filter.status) {
    clauses.push('offload_status = ?');
    params.push(filter.status);
  }
  if (filter.studio) {
    clauses.push('studio = ?');
    params.push(filter.studio);
  }
  return { sql: clauses.join(' and ') || 'true', params };
}

const isFiltered = (filter: CreativeFilter) => Boolean(filter.locationIds || filter.status || filter.studio);

/** A creative's place in the newest-first order, to the microsecond, as the next page's cursor needs it. */
const POSITION_SQL = `to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as position_at`;

export class CreativeRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly batcher: FinalizeBatcher,
  ) {}

  private get db() {
    return this.em.getConnection();
  }

  // ------------------------------------------------------------------ reading

  findById(id: string): Promise<Creative | null> {
    return this.em.findOne(Creative, { id });
  }

  findByPath(path: string): Promise<Creative | null> {
    return this.em.findOne(Creative, { path });
  }

  /**
   * A page, newest first, with each creative's position; one row more than asked, so the caller
   * knows whether another page follows. Unfiltered, it is one range of the (created_at, id) index.
   * Filtered, it merges the newest rows of each (location, status, studio) group the filter matches
   * and the tally says is not empty — each group one range of its index, in page order — so it
   * costs the same whether the filter's rows are recent, months old or absent (scanning the whole
   * table in date order for them took seconds at 10 million).
   */
  async page(filter: CreativeFilter, page: Page): Promise<{ creative: Creative; position: PagePosition }[]> {
    const where = filterSql(filter);
    if (!where) return [];
    const limit = page.first + 1;
    const after = page.before ? 'and (c.created_at, c.id) < (?::timestamptz, ?::uuid)' : '';
    const afterParams = page.before ? [page.before.createdAt, page.before.id] : [];
    const rows = (await (isFiltered(filter)
      ? this.db.execute(
          `select c.*, ${POSITION_SQL}
           from (select location_id, offload_status, studio from creative_tally_now where ${where.sql} and results > 0) g
           cross join lateral (
             select * from creative c where c.location_id = g.location_id and c.offload_status = g.offload_status and c.studio = g.studio ${after}
             order by c.created_at desc, c.id desc limit ?
           ) c
           order by c.created_at desc, c.id desc limit ?`,
          [...where.params, ...afterParams, limit, limit],
        )
      : this.db.execute(`select c.*, ${POSITION_SQL} from creative c where true ${after} order by c.created_at desc, c.id desc limit ?`, [
          ...afterParams,
          limit,
        ]))) as ({ position_at: string } & Record<string, unknown>)[];
    return rows.map(({ position_at, ...row }) => {
      const creative = this.em.map(Creative, row);
      return { creative, position: { createdAt: position_at, id: creative.id } };
    });
  }

  /** How many creatives match, exactly: a sum over the tally's groups, whatever the table holds. */
  async count(filter: CreativeFilter): Promise<number> {
    const where = filterSql(filter);
    if (!where) return 0;
    const [row] = (await this.db.execute(`select coalesce(sum(results), 0)::bigint as n from creative_tally_now where ${where.sql}`, where.params)) as {
      n: string;
    }[];
    return Number(row!.n);
  }

  /** Creatives waiting for, in the middle of, or failed at an upload, from the tally. */
  async queueCounts(): Promise<QueueCounts> {
    const [row] = (await this.db.execute(
      `select coalesce(sum(results) filter (where offload_status = 'QUEUED'), 0)::int as queued,
              coalesce(sum(results) filter (where offload_status = 'UPLOADING'), 0)::int as uploading,
              coalesce(sum(results) filter (where offload_status = 'FAILED'), 0)::int as failed
       from creative_tally_now where offload_status in ('QUEUED', 'UPLOADING', 'FAILED')`,
    )) as QueueCounts[];
    return row!;
  }

  /** Folds the pending changes into the tally, in one statement (any process may; each change moves once); returns how many. */
  async foldTally(): Promise<number> {
    const [row] = (await this.db.execute(
      `with moved as (delete from creative_tally_change returning *),
         totals as (select location_id, offload_status, studio, sum(results) as results, sum(bytes) as bytes, count(*) as changes from moved group by 1, 2, 3),
         folded as (insert into creative_tally as t (location_id, offload_status, studio, results, bytes)
                    select location_id, offload_status, studio, results, bytes from totals
                    on conflict (location_id, offload_status, studio) do update set results = t.results + excluded.results, bytes = t.bytes + excluded.bytes)
       select coalesce(sum(changes), 0)::int as changes from totals`,
    )) as { changes: number }[];
    return Number(row?.changes ?? 0);
  }

  /** The most recent FAILED offloads, newest first. */
  latestFailures(limit: number): Promise<Creative[]> {
    return this.em.find(Creative, { offloadStatus: 'FAILED' }, { orderBy: { updatedAt: 'desc' }, limit });
  }

  /** Offloads per hour since `since` (hours without one are absent), from the hourly rollup: a few dozen rows however busy the day. */
  async offloadsPerHour(since: Date): Promise<{ hour: Date; results: number; bytes: number }[]> {
    const rows = (await this.db.execute(`select hour, results::int, bytes from offload_hour_now where hour >= date_trunc('hour', ?::timestamptz) order by 1`, [
      since,
    ])) as { hour: Date; results: number; bytes: string }[];
    return rows.map((r) => ({ hour: new Date(r.hour), results: r.results, bytes: Number(r.bytes) }));
  }

  /** Folds the offloads appended since the last fold into their hours, dropping hours older than the overview shows; returns how many changes moved. */
  async foldOffloadHours(keepHours: number): Promise<number> {
    const [row] = (await this.db.execute(
      `with moved as (delete from offload_hour_change returning *),
         totals as (select hour, sum(results) as results, sum(bytes) as bytes, count(*) as changes from moved group by 1),
         folded as (insert into offload_hour as h (hour, results, bytes) select hour, results, bytes from totals
                    on conflict (hour) do update set results = h.results + excluded.results, bytes = h.bytes + excluded.bytes),
         expired as (delete from offload_hour where hour < now() - (? * interval '1 hour'))
       select coalesce(sum(changes), 0)::int as changes from totals`,
      [keepHours],
    )) as { changes: number }[];
    return Number(row?.changes ?? 0);
  }

  // ------------------------------------------------------------------ finalize, delete, retry

  /** Which of these paths are finalized already. */
  async existingPaths(paths: string[]): Promise<Set<string>> {
    if (!paths.length) return new Set();
    const rows = (await this.db.execute(`select path from creative where path in (${paths.map(() => '?').join(', ')})`, paths)) as { path: string }[];
    return new Set(rows.map((r) => r.path));
  }

  /** Records a finalized creative (and queues its offload when it has a target); null when its path was already finalized. */
  async insertFinalized(row: NewCreative): Promise<Creative | null> {
    const inserted = await this.batcher.insert(row);
    return inserted ? this.em.map(Creative, inserted) : null;
  }

  async remove(id: string): Promise<void> {
    await this.em.nativeDelete(Creative, { id });
  }

  /** Puts a FAILED creative back in the queue for `target`, its job queued in the same transaction. */
  async requeueFailed(id: string, target: ProviderKey): Promise<void> {
    await this.em.transactional(async (tx) => {
      const updated = await tx.execute(
        `update creative set offload_status = 'QUEUED', target_provider = ?, offload_attempts = 0, updated_at = now()
         where id = ? and offload_status = 'FAILED' returning id`,
        [target, id],
      );
      if (updated.length) await tx.execute(`select ${QUEUE_ONE_SQL}`, [id, id]);
    });
    this.em.clear();
  }

  // ------------------------------------------------------------------ the upload lease

  /** Claims a queued creative (or one whose previous worker's lease ran out) for upload, counting the attempt. */
  async claimForUpload(id: string, token: string, leaseSeconds: number): Promise<ClaimedCreative | null> {
    const [row] = (await this.db.execute(
      `update creative set offload_status = 'UPLOADING', lease_token = ?, lease_expires_at = now() + (? * interval '1 second'),
         offload_attempts = offload_attempts + 1, updated_at = now()
       where id = ? and (offload_status = 'QUEUED' or (offload_status = 'UPLOADING' and lease_expires_at < now()))
       returning path, content_type, target_provider, offload_attempts`,
      [token, leaseSeconds, id],
    )) as { path: string; content_type: string; target_provider: string | null; offload_attempts: number }[];
    return row ? { path: row.path, contentType: row.content_type, targetProvider: row.target_provider ?? '', attempts: Number(row.offload_attempts) } : null;
  }

  async statusOf(id: string): Promise<OffloadStatus | null> {
    const [row] = (await this.db.execute(`select offload_status from creative where id = ?`, [id])) as { offload_status: OffloadStatus }[];
    return row?.offload_status ?? null;
  }

  async renewLease(id: string, token: string, leaseSeconds: number): Promise<void> {
    await this.db.execute(`update creative set lease_expires_at = now() + (? * interval '1 second') where id = ? and lease_token = ?`, [
      leaseSeconds,
      id,
      token,
    ]);
  }

  /** Writes how an upload ended, only while `token` still holds the lease; false when it no longer does. */
  async finishUpload(id: string, token: string, outcome: UploadOutcome): Promise<boolean> {
    const [sets, params]: [string, unknown[]] =
      outcome.kind === 'offloaded'
        ? [
            `offload_status = 'OFFLOADED', location_id = ?, object_key = ?, sha256 = ?, size = ?, last_error = null, offloaded_at = now(),
             local_delete_pending = ?`,
            [outcome.locationId, outcome.objectKey, outcome.sha256, outcome.size, outcome.deleteLocalCopy],
          ]
        : outcome.kind === 'kept-local'
          ? [`offload_status = 'LOCAL', target_provider = null, last_error = ?`, [outcome.reason]]
          : outcome.kind === 'interrupted'
            ? [`offload_status = 'QUEUED', offload_attempts = greatest(offload_attempts - 1, 0)`, []]
            : [`offload_status = ?, last_error = ?`, [outcome.final ? 'FAILED' : 'QUEUED', outcome.error]];
    const updated = await this.db.execute(
      `update creative set ${sets}, lease_token = null, lease_expires_at = null, updated_at = now() where id = ? and lease_token = ? returning id`,
      [...params, id, token],
    );
    return updated.length > 0;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.execute(`select 1 from creative where id = ?`, [id])).length > 0;
  }

  // ------------------------------------------------------------------ repairs after crashes

  /**
   * Creatives waiting on a job that no longer exists or can no longer run (whatever removed it),
   * idle for `idleSeconds`, get a fresh one; returns how many.
   */
  async requeueOrphans(idleSeconds: number, limit = 100): Promise<number> {
    const rows = await this.db.execute(
      `with orphans as (
         select c.id from creative c
         where c.offload_status in ('QUEUED', 'UPLOADING')
           and (c.lease_expires_at is null or c.lease_expires_at < now())
           and c.updated_at < now() - (? * interval '1 second')
           and not ${hasRunnableJobSql('c')}
         limit ?
       ), requeued as (
         update creative set offload_status = 'QUEUED', lease_token = null, lease_expires_at = null, updated_at = now()
         where id in (select id from orphans) returning id
       )
       select ${queueEachSql('requeued')}, (select count(*)::int from requeued) as count`,
      [idleSeconds, limit],
    );
    return Number((rows[0] as { count?: number } | undefined)?.count ?? 0);
  }

  /** Offloaded, verified creatives whose local file is still to be removed (a crash came between). */
  async pendingLocalDeletes(limit = 100): Promise<{ id: string; path: string }[]> {
    return this.db.execute(`select id, path from creative where local_delete_pending and offload_status = 'OFFLOADED' limit ?`, [limit]);
  }

  async markLocalCopyRemoved(id: string): Promise<void> {
    await this.db.execute(`update creative set local_copy = false, local_delete_pending = false where id = ?`, [id]);
  }
}
