import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { LOCAL_STORAGE, type ProviderKey, type StorageKey } from '@offload/types';
import type { Config } from '../config/config.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { contentTypeFor, LocalDriver } from '../storage/drivers/local-driver.js';
import { checkRelativePath, publicObjectUrl } from '../storage/drivers/keys.js';
import type { ProviderDrivers } from '../storage/provider-driver.js';
import type { ResultsRoot } from '../storage/results-root.js';
import type { StorageSettingsService } from '../storage/storage-settings.service.js';
import type { StorageLocation, StorageLocations } from '../storage/storage-locations.service.js';
import { isUuid } from '../util/uuid.js';
import type { Creative, OffloadStatus, Studio } from './creative.entity.js';
import type { CreativeRepository, PagePosition, CreativeFilter as RepositoryFilter } from './creative.repository.js';

export interface FinalizeInput {
  path: string;
  studio: Studio;
  contentType?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface CreativeFilter {
  first: number;
  after?: string | null;
  /** Held by this provider (any of its locations) or the results disk. */
  location?: StorageKey | null;
  locationId?: number | null;
  status?: OffloadStatus | null;
  studio?: Studio | null;
}

export const MAX_PAGE = 500;
const MAX_METADATA_BYTES = 16 * 1024;
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9_-]+=("[^"]*"|[a-z0-9._-]+))*$/i;

/** A creative's position as an opaque cursor. Microseconds count: the creatives of one finalize batch share a timestamp to the millisecond. */
const encodeCursor = (p: PagePosition) => Buffer.from(`${p.createdAt}|${p.id}`).toString('base64url');
/** Cursors of earlier versions carry milliseconds only; they still decode. */
const CURSOR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z$/;
function decodeCursor(cursor: string): PagePosition {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!createdAt || !CURSOR_TIME.test(createdAt) || Number.isNaN(new Date(createdAt).getTime()) || !id || !isUuid(id))
    throw new InvalidInputError('after: not a cursor from this API', 'after');
  return { createdAt, id };
}

export interface CreativeServiceDeps {
  repository: CreativeRepository;
  storage: StorageSettingsService;
  locations: StorageLocations;
  drivers: ProviderDrivers;
  results: ResultsRoot;
  config: Config;
}

/** Finalize, locate, serve and delete creatives: the rules, testable without HTTP. */
export class CreativeService {
  private readonly local: LocalDriver;
  private readonly repository: CreativeRepository;
  private readonly storage: StorageSettingsService;
  private readonly locations: StorageLocations;
  private readonly config: Config;

  constructor(private readonly deps: CreativeServiceDeps) {
    ({ repository: this.repository, storage: this.storage, locations: this.locations, config: this.config } = deps);
    this.local = new LocalDriver(deps.config.resultsDir, deps.config.publicUrl);
  }

  /**
   * Records a result the studio wrote to the results disk and, when a bucket provider is the
   * effective storage, queues its offload in the same transaction. Never waits for the
   * upload and never fails because of the bucket. Finalizing a path twice returns the same creative.
   */
  async finalize(input: FinalizeInput): Promise<Creative> {
    const relative = input.path;
    const problem = checkRelativePath(relative);
    if (problem) throw new InvalidInputError(`path ${problem}`, 'path');
    const contentType = input.contentType?.trim() || contentTypeFor(relative);
    if (!CONTENT_TYPE.test(contentType) || contentType.length > 255)
      throw new InvalidInputError('contentType must look like image/png or video/mp4', 'contentType');
    const metadata = input.metadata ?? {};
    if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES)
      throw new InvalidInputError(`metadata must be at most ${MAX_METADATA_BYTES / 1024} KB of JSON`, 'metadata');

    // A new result's file is on disk; a finalized one's may be gone (offloaded, local copy deleted),
    // and finalizing it again returns it.
    const size = await this.checkFile(relative).catch(async (error: unknown) => {
      const existing = await this.repository.findByPath(relative);
      if (existing) return existing;
      throw error;
    });
    if (typeof size !== 'number') return size;

    let target: ProviderKey | null;
    try {
      const effective = (await this.storage.defaultStorage()).effective;
      target = effective === LOCAL_STORAGE ? null : effective;
    } catch {
      target = null; // whatever is wrong with the storage settings, generation goes on locally
    }

    const inserted = await this.repository.insertFinalized({
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
    return inserted ?? (await this.repository.findByPath(relative))!;
  }

  /** The file must be a regular file inside the results folder, symlinks resolved. */
  private async checkFile(relative: string): Promise<number> {
    const root = await this.deps.results.real();
    let real: string;
    try {
      real = await realpath(path.join(root, relative));
    } catch {
      throw new InvalidInputError(`path: no file at ${relative} on the results disk`, 'path');
    }
    if (!(await this.deps.results.contains(real))) throw new InvalidInputError('path resolves outside the results folder', 'path');
    const s = await stat(real);
    if (!s.isFile()) throw new InvalidInputError(`path: ${relative} is not a regular file`, 'path');
    return s.size;
  }

  get(id: string): Promise<Creative | null> {
    return isUuid(id) ? this.repository.findById(id) : Promise.resolve(null);
  }

  async list(filter: CreativeFilter): Promise<{ edges: { node: Creative; cursor: string }[]; hasNextPage: boolean; endCursor: string | null }> {
    if (!Number.isInteger(filter.first) || filter.first < 1 || filter.first > MAX_PAGE)
      throw new InvalidInputError(`first must be between 1 and ${MAX_PAGE}`, 'first');
    const before = filter.after ? decodeCursor(filter.after) : null;
    // The locations load with the page, so each creative's URL and location then resolve without a promise.
    const [rows] = await Promise.all([this.where(filter).then((where) => this.repository.page(where, { first: filter.first, before })), this.locations.list()]);
    const edges = rows.slice(0, filter.first).map((r) => ({ node: r.creative, cursor: encodeCursor(r.position) }));
    return { edges, hasNextPage: rows.length > filter.first, endCursor: edges.at(-1)?.cursor ?? null };
  }

  async count(filter: Omit<CreativeFilter, 'first' | 'after'>): Promise<number> {
    return this.repository.count(await this.where(filter));
  }

  /** The filter in storage locations: a provider means every location it has had. */
  private async where(filter: Omit<CreativeFilter, 'first' | 'after'>): Promise<RepositoryFilter> {
    let locationIds: number[] | null = null;
    if (filter.location) locationIds = (await this.locations.list()).filter((l) => l.provider === filter.location).map((l) => l.id);
    if (filter.locationId != null) locationIds = (locationIds ?? [filter.locationId]).filter((id) => id === filter.locationId);
    return { locationIds, status: filter.status, studio: filter.studio };
  }

  /** The bucket location holding it, or null when it lives on the results disk. */
  private async bucketOf(creative: Creative): Promise<StorageLocation | null> {
    return this.inBucket(creative, await this.locations.get(creative.locationId));
  }

  private inBucket(creative: Creative, location: StorageLocation | null): StorageLocation | null {
    return creative.objectKey && location && location.provider !== LOCAL_STORAGE ? location : null;
  }

  /**
   * The one absolute URL for a creative, built now from its location: a string join (a listing of
   * 500 builds no S3 client), and no promise once the locations are loaded.
   */
  url(creative: Creative): string | Promise<string> {
    return this.locations.withLocation(creative.locationId, (location) => this.urlAt(creative, location));
  }

  private urlAt(creative: Creative, where: StorageLocation | null): string {
    const location = this.inBucket(creative, where);
    if (!location) return this.local.publicUrl(creative.path);
    return publicObjectUrl(location.publicUrl, creative.objectKey!) ?? `${this.config.publicUrl}/creatives/${creative.id}/download`;
  }

  /** Where GET /creatives/:id/download sends the caller: a link signed by its own location's credentials. */
  async downloadTarget(creative: Creative): Promise<{ kind: 'file'; file: string } | { kind: 'redirect'; url: string }> {
    const location = await this.bucketOf(creative);
    if (!location) return { kind: 'file', file: path.join(this.config.resultsDir, creative.path) };
    const url = await this.driverOf(location, 'sign').signedUrl(creative.objectKey!, this.config.signedUrlTtlSeconds, {
      downloadName: path.posix.basename(creative.path),
    });
    return { kind: 'redirect', url };
  }

  private driverOf(location: StorageLocation, operation: 'sign' | 'delete') {
    return this.deps.drivers.for(location.provider as ProviderKey, this.locations.settingsOf(location, operation));
  }

  /** Deletes the object from its own location and any local copy, then the record. False if it was already gone. */
  async delete(id: string): Promise<boolean> {
    const creative = await this.get(id);
    if (!creative) return false;
    const location = await this.bucketOf(creative);
    if (location) await this.driverOf(location, 'delete').delete(creative.objectKey!);
    await this.local.delete(creative.path);
    await this.repository.remove(creative.id);
    return true;
  }

  /** Puts a FAILED creative back in the queue, for the storage that is effective now. */
  async retry(id: string): Promise<Creative> {
    const creative = await this.get(id);
    if (!creative) throw new NotFoundError(`No creative with id ${id}`);
    if (creative.offloadStatus !== 'FAILED') throw new InvalidInputError(`Only a FAILED offload can be retried; this one is ${creative.offloadStatus}`, 'id');
    const effective = (await this.storage.defaultStorage()).effective;
    if (effective === LOCAL_STORAGE) throw new InvalidInputError('The local server is the effective storage: there is no bucket to offload to', 'id');
    await this.repository.requeueFailed(creative.id, effective);
    return (await this.repository.findById(creative.id))!;
  }
}
