import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isProviderKey, LOCAL_STORAGE, type ProviderKey } from '@offload/types';
import { GraphQLError } from 'graphql';
import type { Config } from '../config/config.js';
import { NotFoundError, UserInputError } from '../graphql/errors.js';
import { OFFLOAD_TASK, QUEUE_MAX_ATTEMPTS } from '../offload/offload.job.js';
import { contentTypeFor, LocalDriver } from '../storage/drivers/local-driver.js';
import { StorageError } from '../storage/errors.js';
import { checkRelativePath, publicObjectUrl } from '../storage/keys.js';
import { providerDriver } from '../storage/provider-driver.js';
import { resultsRoot } from '../storage/results-root.js';
import type { StorageSettingsService } from '../storage/storage-settings.service.js';
import { isUuid } from '../util/uuid.js';
import { Creative, type CreativeLocation, type OffloadStatus, type Studio } from './creative.entity.js';

export interface FinalizeInput {
  path: string;
  studio: Studio;
  contentType?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface CreativeFilter {
  first: number;
  after?: string | null;
  location?: CreativeLocation | null;
  status?: OffloadStatus | null;
  studio?: Studio | null;
}

export const MAX_PAGE = 500;
const MAX_METADATA_BYTES = 16 * 1024;
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9_-]+=("[^"]*"|[a-z0-9._-]+))*$/i;

/**
 * Queues the offload job in the caller's transaction. The job key is the creative id, so a
 * creative has at most one waiting job; the queue's own attempt limit is set high because
 * our `offload_attempts` decides when an offload has failed for good.
 */
async function enqueueOffload(tx: EntityManager, creativeId: string): Promise<void> {
  await tx.execute(`select graphile_worker.add_job(?, json_build_object('creativeId', ?::text), job_key => ?::text, max_attempts => ?)`, [OFFLOAD_TASK, creativeId, creativeId, QUEUE_MAX_ATTEMPTS]);
}

type Connection = ReturnType<EntityManager['getConnection']>;

interface NewCreative {
  id: string;
  path: string;
  studio: Studio;
  content_type: string;
  metadata: Record<string, unknown>;
  size: number;
  target_provider: ProviderKey | null;
  offload_status: OffloadStatus;
}

/**
 * Records finalized creatives and queues their offload jobs in one statement per batch: while
 * one batch is on its way, the finalizes that arrive meanwhile wait for the next, so under load
 * one round trip, one commit and one queue notification carry many. Creative and job are
 * written together (a creative is never QUEUED without its job); ON CONFLICT makes concurrent
 * finalizes of one path safe. Each caller gets its row back, or null when the path existed.
 */
class FinalizeBatcher {
  private pending: { row: NewCreative; settle: (result: Record<string, unknown> | null, error?: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly connection: Connection) {}

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
             select * from json_to_recordset(?::json) as x(id uuid, path text, studio text, content_type text, metadata jsonb, size bigint, target_provider text, offload_status text)
           ), inserted as (
             insert into creative (id, path, studio, content_type, metadata, size, target_provider, offload_status, location, local_copy, offload_attempts, created_at, updated_at)
             select id, path, studio, content_type, metadata, size, target_provider, offload_status, 'local', true, 0, now(), now() from input
             on conflict (path) do nothing
             returning *
           ), queued as (
             select graphile_worker.add_jobs(array(
               select row(?::text, json_build_object('creativeId', id::text), null::text, null::timestamptz, ?::int, id::text, null::int, null::text[])::graphile_worker.job_spec
               from inserted where target_provider is not null
             ))
           )
           select inserted.* from inserted where (select count(*) from queued) >= 0`,
          [JSON.stringify(batch.map((b) => b.row)), OFFLOAD_TASK, QUEUE_MAX_ATTEMPTS],
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

const batchers = new WeakMap<Connection, FinalizeBatcher>();
function finalizeBatcher(connection: Connection): FinalizeBatcher {
  let batcher = batchers.get(connection);
  if (!batcher) batchers.set(connection, (batcher = new FinalizeBatcher(connection)));
  return batcher;
}

/** A storage failure as a GraphQL error with a stable code (STORAGE_ACCESS_DENIED, …). */
export function storageGraphQLError(error: StorageError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: `STORAGE_${error.code}` } });
}

export const encodeCursor = (c: Creative) => Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw new UserInputError('after: not a cursor from this API', 'after');
  return { createdAt, id };
}

function filterWhere(filter: Omit<CreativeFilter, 'first' | 'after'>): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  if (filter.location) where.location = filter.location;
  if (filter.status) where.offloadStatus = filter.status;
  if (filter.studio) where.studio = filter.studio;
  return where;
}

/** Finalize, locate, serve and delete creatives: the rules, testable without HTTP. */
export class CreativeService {
  private readonly local: LocalDriver;

  constructor(
    private readonly em: EntityManager,
    private readonly storage: StorageSettingsService,
    private readonly config: Config,
  ) {
    this.local = new LocalDriver(config.resultsDir, config.publicUrl);
  }

  /**
   * Records a result the studio wrote to the results disk and, when a bucket provider is the
   * effective storage, queues its offload in the same transaction. Never waits for the
   * upload and never fails because of the bucket. Finalizing a path twice returns the same creative.
   */
  async finalize(input: FinalizeInput): Promise<Creative> {
    const relative = input.path;
    const problem = checkRelativePath(relative);
    if (problem) throw new UserInputError(`path ${problem}`, 'path');
    const contentType = input.contentType?.trim() || contentTypeFor(relative);
    if (!CONTENT_TYPE.test(contentType) || contentType.length > 255) throw new UserInputError('contentType must look like image/png or video/mp4', 'contentType');
    const metadata = input.metadata ?? {};
    if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) throw new UserInputError(`metadata must be at most ${MAX_METADATA_BYTES / 1024} KB of JSON`, 'metadata');

    // A new result's file is on disk; a finalized one's may be gone (offloaded, local copy deleted),
    // and finalizing it again returns it.
    const size = await this.checkFile(relative).catch(async (error: unknown) => {
      const existing = await this.em.findOne(Creative, { path: relative });
      if (existing) return existing;
      throw error;
    });
    if (size instanceof Creative) return size;

    let target: ProviderKey | null;
    try {
      const effective = (await this.storage.defaultStorage()).effective;
      target = effective === LOCAL_STORAGE ? null : effective;
    } catch {
      target = null; // whatever is wrong with the storage settings, generation goes on locally
    }

    const inserted = await finalizeBatcher(this.em.getConnection()).insert({
      id: randomUUID(),
      path: relative,
      studio: input.studio,
      content_type: contentType,
      metadata,
      size,
      target_provider: target,
      offload_status: target ? 'QUEUED' : 'LOCAL',
    });
    // Lost a race with a concurrent finalize of the same path (or finalized before): return that one.
    return inserted ? this.em.map(Creative, inserted) : this.em.findOneOrFail(Creative, { path: relative });
  }

  /** The file must be a regular file inside the results folder, symlinks resolved. */
  private async checkFile(relative: string): Promise<number> {
    const root = await resultsRoot(this.config.resultsDir);
    let real: string;
    try {
      real = await realpath(path.join(root, relative));
    } catch {
      throw new UserInputError(`path: no file at ${relative} on the results disk`, 'path');
    }
    if (!real.startsWith(root + path.sep)) throw new UserInputError('path resolves outside the results folder', 'path');
    const s = await stat(real);
    if (!s.isFile()) throw new UserInputError(`path: ${relative} is not a regular file`, 'path');
    return s.size;
  }

  get(id: string): Promise<Creative | null> {
    return isUuid(id) ? this.em.findOne(Creative, { id }) : Promise.resolve(null);
  }

  async list(filter: CreativeFilter): Promise<{ nodes: Creative[]; hasNextPage: boolean; endCursor: string | null }> {
    if (!Number.isInteger(filter.first) || filter.first < 1 || filter.first > MAX_PAGE) throw new UserInputError(`first must be between 1 and ${MAX_PAGE}`, 'first');
    const where = filterWhere(filter);
    if (filter.after) {
      const { createdAt, id } = decodeCursor(filter.after);
      where.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }];
    }
    const rows = await this.em.find(Creative, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: filter.first + 1 });
    const nodes = rows.slice(0, filter.first);
    return { nodes, hasNextPage: rows.length > filter.first, endCursor: nodes.length ? encodeCursor(nodes.at(-1)!) : null };
  }

  count(filter: Omit<CreativeFilter, 'first' | 'after'>): Promise<number> {
    return this.em.count(Creative, filterWhere(filter));
  }

  /** The one absolute URL for a creative, built now from where it lives. */
  async url(creative: Creative): Promise<string> {
    if (creative.location === 'local' || !creative.objectKey || !isProviderKey(creative.location)) return this.local.publicUrl(creative.path);
    // A string join, not a driver: a listing of 500 creatives must not build 500 S3 clients.
    const state = await this.storage.provider(creative.location);
    return (state.decryptError ? null : publicObjectUrl(state.settings.publicUrl, creative.objectKey)) ?? `${this.config.publicUrl}/creatives/${creative.id}/download`;
  }

  /** Where GET /creatives/:id/download sends the caller. */
  async downloadTarget(creative: Creative): Promise<{ kind: 'file'; file: string } | { kind: 'redirect'; url: string }> {
    if (creative.location === 'local' || !creative.objectKey || !isProviderKey(creative.location)) {
      return { kind: 'file', file: path.join(this.config.resultsDir, creative.path) };
    }
    const state = await this.storage.provider(creative.location);
    if (state.decryptError) throw new StorageError('INVALID_CONFIGURATION', 'sign', creative.objectKey, `The ${state.spec.label} settings cannot be decrypted with the current APP_KEY`);
    const url = await providerDriver(state.key, state.settings).signedUrl(creative.objectKey, this.config.signedUrlTtlSeconds, { downloadName: path.posix.basename(creative.path) });
    return { kind: 'redirect', url };
  }

  /** Deletes the object from its bucket and any local copy, then the record. False if it was already gone. */
  async delete(id: string): Promise<boolean> {
    const creative = await this.get(id);
    if (!creative) return false;
    if (creative.objectKey && isProviderKey(creative.location)) {
      const state = await this.storage.provider(creative.location);
      if (state.decryptError) throw storageGraphQLError(new StorageError('INVALID_CONFIGURATION', 'delete', creative.objectKey, `Cannot delete from ${state.spec.label}: its settings cannot be decrypted with the current APP_KEY`));
      try {
        await providerDriver(state.key, state.settings).delete(creative.objectKey);
      } catch (error) {
        if (error instanceof StorageError) throw storageGraphQLError(error);
        throw error;
      }
    }
    await this.local.delete(creative.path);
    await this.em.nativeDelete(Creative, { id: creative.id });
    return true;
  }

  /** Puts a FAILED creative back in the queue, for the storage that is effective now. */
  async retry(id: string): Promise<Creative> {
    const creative = await this.get(id);
    if (!creative) throw new NotFoundError(`No creative with id ${id}`);
    if (creative.offloadStatus !== 'FAILED') throw new UserInputError(`Only a FAILED offload can be retried; this one is ${creative.offloadStatus}`, 'id');
    const effective = (await this.storage.defaultStorage()).effective;
    if (effective === LOCAL_STORAGE) throw new UserInputError('The local server is the effective storage: there is no bucket to offload to', 'id');
    await this.em.transactional(async (tx) => {
      await tx.execute(`update creative set offload_status = 'QUEUED', target_provider = ?, offload_attempts = 0, updated_at = now() where id = ? and offload_status = 'FAILED'`, [effective, creative.id]);
      await enqueueOffload(tx, creative.id);
    });
    this.em.clear();
    return this.em.findOneOrFail(Creative, { id: creative.id });
  }
}
