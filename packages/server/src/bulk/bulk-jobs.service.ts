import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Scope } from '../app/composition.js';
import type { CreativeRepository } from '../creatives/creative.repository.js';
import { scanResultsDisk } from './scan.js';
import { normalizeKeyPrefix, STUDIOS } from '@offload/types';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import { LOCAL_LOCATION_ID, type StorageLocations } from '../storage/storage-locations.service.js';
import { BulkJobRepository, type BulkFilter, type BulkJobKind, type BulkJobRow, type BulkJobState, type BulkPlan } from './bulk-job.repository.js';

/** What an admin (or the command line) asks for: one kind of work over the results the filter selects in one location. */
export interface BulkRequest {
  kind: BulkJobKind;
  sourceLocationId: number;
  /** Where a MOVE copies to; null for the other kinds. */
  targetLocationId: number | null;
  /** A MOVE deletes each source object (or local file) once its copy is verified and recorded. */
  deleteSource: boolean;
  filter: BulkFilter;
  /** At most this many results, from a random place in the location (a VERIFY sample); null: all. */
  sample: number | null;
}

/** A move, in the words of its callers. */
export const moveRequest = (r: Pick<BulkRequest, 'sourceLocationId' | 'targetLocationId' | 'deleteSource' | 'filter'>): BulkRequest => ({
  kind: 'MOVE',
  sample: null,
  ...r,
});

/** How far a job is, as the admin and the command line both show it. */
export interface BulkProgress {
  /** Results finished either way: moved, skipped or failed (a scan: registered). */
  finishedItems: number;
  /** Of those planned (results finalized after the start can match too: it stops at 100). */
  percent: number;
  itemsPerSecond: number | null;
  bytesPerSecond: number | null;
  /** Seconds left at the rate so far; null unless running with a rate. */
  etaSeconds: number | null;
}

export function progressOf(job: BulkJobRow, now = new Date()): BulkProgress {
  // Running time only: a pause does not slow the rate or stretch the ETA.
  const seconds = job.ranSeconds + (job.state === 'RUNNING' && job.runningSince ? (now.getTime() - job.runningSince.getTime()) / 1000 : 0);
  // A scan's plan counts only the files it would register; the known and unusable files it passes are not in it.
  const finishedItems = job.kind === 'SCAN' ? job.doneItems : job.doneItems + job.skippedItems + job.failedItems;
  const percent = job.plannedItems ? Math.min(100, Math.floor((finishedItems / job.plannedItems) * 100)) : job.state === 'COMPLETED' ? 100 : 0;
  const itemsPerSecond = job.doneItems > 0 && seconds > 0 ? job.doneItems / seconds : null;
  const bytesPerSecond = job.doneItems > 0 && seconds > 0 ? job.doneBytes / seconds : null;
  const etaSeconds = job.state === 'RUNNING' && itemsPerSecond ? Math.round(Math.max(job.plannedItems - finishedItems, 0) / itemsPerSecond) : null;
  return { finishedItems, percent, itemsPerSecond, bytesPerSecond, etaSeconds };
}

/**
 * Bulk jobs: plan one (the dry run: how many results and bytes it would take), start, pause,
 * resume, cancel, retry its failures. The same service serves the admin API and the command line;
 * the work itself runs in the offload workers (bulk.task.ts), a batch at a time.
 */
export class BulkJobsService {
  private readonly jobs: BulkJobRepository;

  private readonly em: EntityManager;
  private readonly locations: StorageLocations;
  private readonly creatives: CreativeRepository;

  constructor(
    scope: Pick<Scope, 'em' | 'locations' | 'creativeRepository'>,
    private readonly resultsDir: string,
  ) {
    ({ em: this.em, locations: this.locations, creativeRepository: this.creatives } = scope);
    this.jobs = new BulkJobRepository(this.em);
  }

  async plan(input: BulkRequest): Promise<BulkPlan> {
    const request = await this.checked(input);
    if (request.kind === 'SCAN') {
      const counts = await scanResultsDisk(this.resultsDir, this.creatives, { dryRun: true });
      return { items: counts.registered, bytes: counts.bytes, estimated: false };
    }
    return this.jobs.plan(request.kind, request.sourceLocationId, request.filter, request.sample);
  }

  async start(input: BulkRequest, createdBy: string): Promise<BulkJobRow> {
    const request = await this.checked(input);
    // Two jobs moving (or removing the local copies of) the same results would race each other for every one of them.
    const overlapping = request.kind === 'MOVE' || request.kind === 'REMOVE_LOCAL' ? await this.jobs.activeChangingJob(request.sourceLocationId) : null;
    if (overlapping) {
      throw new RefusedError(
        'BULK_JOB_OVERLAP',
        `Bulk job ${overlapping.id} is already ${overlapping.state === 'RUNNING' ? 'working on' : 'paused over'} the results of this location: let it finish, or cancel it, first`,
      );
    }
    // A scan's size is found by the scan itself (walking a large disk takes minutes): it counts first, then registers.
    const plan =
      request.kind === 'SCAN'
        ? { items: 0, bytes: 0, estimated: true }
        : await this.jobs.plan(request.kind, request.sourceLocationId, request.filter, request.sample);
    return this.em.transactional(async (tx) => {
      const jobs = new BulkJobRepository(tx);
      const { sample, ...rest } = request;
      // Results walk in id order, and ids are random: starting at a random id, the next N are a uniform sample.
      const start = sample === null ? null : randomUUID();
      const job = await jobs.insert(
        { ...rest, limitItems: sample, plannedItems: plan.items, plannedBytes: plan.bytes, plannedEstimated: plan.estimated, createdBy },
        start,
      );
      await jobs.queueBatch(job.id);
      return job;
    });
  }

  list(limit = 50): Promise<BulkJobRow[]> {
    return this.jobs.list(Math.min(Math.max(limit, 1), 200));
  }

  async get(id: string): Promise<BulkJobRow> {
    const job = /^\d{1,18}$/.test(id) ? await this.jobs.get(id) : null;
    if (!job) throw new NotFoundError(`No bulk job with id ${id}`);
    return job;
  }

  failures(id: string, limit = 50) {
    return this.jobs.failures(id, Math.min(Math.max(limit, 1), 500));
  }

  /** Stops after the result in hand; its progress stays. */
  pause(id: string): Promise<BulkJobRow> {
    return this.move(id, ['RUNNING'], 'PAUSED');
  }

  /** Goes on from where it stopped, its last error cleared (its failures stay listed). */
  async resume(id: string): Promise<BulkJobRow> {
    return this.em.transactional(async (tx) => {
      const job = await this.move(id, ['PAUSED'], 'RUNNING', tx, null);
      await new BulkJobRepository(tx).queueBatch(job.id);
      return job;
    });
  }

  /** Stops for good; what was moved stays moved. */
  cancel(id: string): Promise<BulkJobRow> {
    return this.move(id, ['RUNNING', 'PAUSED'], 'CANCELED');
  }

  /** Tries the failed results again (a finished job runs again for them alone). */
  async retryFailures(id: string): Promise<BulkJobRow> {
    return this.em.transactional(async (tx) => {
      const jobs = new BulkJobRepository(tx);
      const job = await this.get(id);
      if (!(await jobs.markRetries(id))) throw new RefusedError('NOTHING_TO_RETRY', `Bulk job ${id} has no failed results to retry`);
      // A running job's next batch takes the retries first; another batch now would work beside it.
      if (job.state === 'RUNNING') return job;
      const running = await this.move(id, ['PAUSED', 'COMPLETED', 'CANCELED'], 'RUNNING', tx);
      await jobs.queueBatch(id);
      return running;
    });
  }

  private async move(id: string, from: BulkJobState[], to: BulkJobState, em: EntityManager = this.em, lastError?: null): Promise<BulkJobRow> {
    const job = await this.get(id);
    const moved = await new BulkJobRepository(em).transition(id, from, to, lastError);
    if (!moved) throw new RefusedError('BULK_JOB_STATE', `Bulk job ${id} is ${job.state.toLowerCase()}: it cannot be ${VERBS[to]}`);
    return moved;
  }

  /** The request with its folder normalised (`/images/gemini/` → `images/gemini`); every problem with it, by field. */
  private async checked(request: BulkRequest): Promise<BulkRequest> {
    const problems: { field: string; message: string }[] = [];
    const move = request.kind === 'MOVE';
    const scan = request.kind === 'SCAN';
    const [source, target] = await Promise.all([
      this.locations.get(request.sourceLocationId),
      request.targetLocationId === null ? null : this.locations.get(request.targetLocationId),
    ]);
    if (!source) problems.push({ field: 'sourceLocationId', message: `sourceLocationId ${request.sourceLocationId} is not a storage location` });
    if (move && !target) problems.push({ field: 'targetLocationId', message: `targetLocationId ${request.targetLocationId} is not a storage location` });
    if (scan && source?.id !== LOCAL_LOCATION_ID) problems.push({ field: 'sourceLocationId', message: 'A scan reads the results disk (location 1)' });
    if (!move && !scan && source?.id === LOCAL_LOCATION_ID)
      problems.push({ field: 'sourceLocationId', message: 'sourceLocationId must be a bucket: results on this server have no stored object to check' });
    if (request.sample !== null && (!Number.isInteger(request.sample) || request.sample < 1 || request.sample > 10_000_000))
      problems.push({ field: 'sample', message: 'sample must be a whole number from 1 to 10,000,000' });
    if (source && target && source.id === target.id)
      problems.push({ field: 'targetLocationId', message: 'targetLocationId must differ from sourceLocationId' });
    if (target && target.id !== LOCAL_LOCATION_ID) {
      const reachable = this.locations.reachable(target);
      if (!reachable.configured)
        problems.push({ field: 'targetLocationId', message: `The credentials of bucket ${target.bucket} are incomplete or unreadable` });
    }
    const { studio, pathPrefix, createdAfter, createdBefore } = request.filter;
    if (studio && !(STUDIOS as readonly string[]).includes(studio))
      problems.push({ field: 'filter.studio', message: `filter.studio must be one of ${STUDIOS.join(', ')}` });
    if (pathPrefix !== undefined && normalizeKeyPrefix(pathPrefix).problem) {
      problems.push({ field: 'filter.pathPrefix', message: `filter.pathPrefix ${normalizeKeyPrefix(pathPrefix).problem}` });
    }
    for (const [field, value] of [
      ['filter.createdAfter', createdAfter],
      ['filter.createdBefore', createdBefore],
    ] as const) {
      if (value !== undefined && Number.isNaN(Date.parse(value))) problems.push({ field, message: `${field} must be a date such as 2026-11-01` });
    }
    if (problems.length) throw InvalidInputError.fromProblems(problems);
    const { pathPrefix: _given, ...rest } = request.filter;
    const folder = pathPrefix === undefined ? '' : normalizeKeyPrefix(pathPrefix).prefix;
    return { ...request, filter: folder ? { ...rest, pathPrefix: folder } : rest };
  }
}

const VERBS: Record<BulkJobState, string> = { RUNNING: 'resumed', PAUSED: 'paused', CANCELED: 'canceled', COMPLETED: 'completed' };
