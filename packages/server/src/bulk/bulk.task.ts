import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ProviderKey } from '@offload/types';
import type { OffloadDeps } from '../offload/offload.job.js';
import { finishPendingLocalDeletes, IMMUTABLE, removeLocalCopy, TryLater } from '../offload/offload.job.js';
import { StorageError } from '../storage/drivers/errors.js';
import { objectKey } from '../storage/drivers/keys.js';
import { hashFile, LocalDriver } from '../storage/drivers/local-driver.js';
import type { BucketDriver } from '../storage/drivers/driver.js';
import { LOCAL_LOCATION_ID, type StorageLocation } from '../storage/storage-locations.service.js';
import { BulkJobRepository, type BulkJobKind, type BulkJobRow, type ItemOutcome, type MoveItem } from './bulk-job.repository.js';
import { BULK_MAX_ATTEMPTS } from './bulk-queue.js';
import { referenced } from './orphans.js';
import { scanResultsDisk } from './scan.js';
import { BulkJobsService } from './bulk-jobs.service.js';

/** Results one batch takes before the job yields its place in the queue (new offloads go first). */
export const BATCH_SIZE = 25;

/** `recorded`: already counted in the transaction that finished the result. */
type Outcome = ItemOutcome & { recorded?: true };

/**
 * Runs one batch of a bulk job: the results its admin asked to retry, then the next ones after its
 * cursor, one at a time, each recorded (and the cursor moved) as it finishes. Stops at once when
 * the job is paused or canceled; queues the next batch behind any new results' offloads; completes
 * the job when nothing is left. A crash loses at most the result in hand, which is crash-safe by
 * itself (see moveOne), and the queue runs the batch again.
 */
export async function runBulkBatch(deps: OffloadDeps, jobId: string, signal?: AbortSignal): Promise<void> {
  const { em } = deps.scope();
  const jobs = new BulkJobRepository(em);
  const job = await jobs.get(jobId);
  if (!job || job.state !== 'RUNNING') return;
  const log = deps.logger.child({ bulkJobId: jobId, kind: job.kind });
  if (job.kind === 'SCAN') return runScan(deps, job);

  const items = [...(await jobs.takeRetries(job, BATCH_SIZE)), ...(await jobs.nextItems(job, BATCH_SIZE))];
  if (!items.length) {
    const completed = await jobs.transition(jobId, ['RUNNING'], 'COMPLETED');
    if (completed) log.info({ done: completed.doneItems, failed: completed.failedItems, skipped: completed.skippedItems }, 'bulk job completed');
    return;
  }
  let yielded = false;
  for (const item of items) {
    if (signal?.aborted) throw new TryLater(`bulk job ${jobId} stopped by a shutdown`);
    const now = await jobs.get(jobId);
    // Paused or canceled: its next batch is queued by resume. Paused and resumed meanwhile: the batch
    // that resume queued carries the job on (two would work the same results side by side).
    if (now?.state !== 'RUNNING' || now.runningSince?.getTime() !== job.runningSince?.getTime()) return;
    // A new result's offload waits for a worker: give it this one, and come back after it.
    if ((yielded = await jobs.offloadsWaiting())) break;
    const outcome = await processOne(deps, now, item, signal);
    if (!(outcome.kind === 'done' && outcome.recorded)) await jobs.progress(jobId, item, outcome);
    if (outcome.kind === 'failed') log.warn({ creativeId: item.id, error: outcome.error }, 'bulk item failed');
  }
  // The next batch finds what is left, or nothing and completes the job. Queued at a lower priority than
  // every offload, it runs only once no new result waits for a worker (after yielding, a second later: not to spin on them).
  await jobs.queueBatch(jobId, yielded ? 1 : 0);
}

/**
 * A batch that failed on its queue's last attempt (hours of retries: the database refused, a result
 * stayed held by another worker): the job is paused with the reason, for the admin to see and
 * resume, instead of staying RUNNING with nothing left to run it.
 */
export async function pauseAfterLastAttempt(deps: OffloadDeps, jobId: string, error: unknown): Promise<void> {
  const jobs = new BulkJobRepository(deps.scope().em);
  const reason = `Paused after its batch failed ${BULK_MAX_ATTEMPTS} times: ${(error as Error).message}. Resume it to try again.`;
  if (await jobs.transition(jobId, ['RUNNING'], 'PAUSED', reason))
    deps.logger.error({ bulkJobId: jobId, err: error }, 'bulk job paused: its batch kept failing');
}

/** What each kind does to one leased result. */
const WORK: Record<
  Exclude<BulkJobKind, 'SCAN'>,
  (deps: OffloadDeps, job: BulkJobRow, item: MoveItem, lease: Lease, signal?: AbortSignal) => Promise<Outcome>
> = {
  MOVE: moveOne,
  REMOVE_LOCAL: removeLocalOne,
  VERIFY: verifyOne,
};

interface Lease {
  jobs: BulkJobRepository;
  token: string;
}

/**
 * Does the job's work on one result under a lease (an offload, or another job's worker, never
 * touches it meanwhile; a dead worker's lease runs out), turning failures into the result's
 * outcome: recorded, listed, retried on request. A shutdown hands the result back untouched.
 */
async function processOne(deps: OffloadDeps, job: BulkJobRow, item: MoveItem, signal?: AbortSignal): Promise<Outcome> {
  const jobs = new BulkJobRepository(deps.scope().em);
  const token = randomUUID();
  const leaseSeconds = deps.config.offload.leaseSeconds;
  const claim = await jobs.claim(item, token, leaseSeconds);
  if (claim === 'gone') return { kind: 'skipped' };
  if (claim === 'busy') throw new TryLater(`result ${item.id} is held by another worker`);
  const renew = setInterval(() => void jobs.renew(item.id, token, leaseSeconds).catch(() => undefined), (leaseSeconds * 1000) / 3);
  try {
    return await WORK[job.kind as Exclude<BulkJobKind, 'SCAN'>](deps, job, item, { jobs, token }, signal);
  } catch (error) {
    if (signal?.aborted) throw new TryLater(`bulk work on ${item.id} was stopped by a shutdown`);
    return failed(error instanceof StorageError ? error.message : `Unexpected error: ${(error as Error).message}`);
  } finally {
    clearInterval(renew);
    await jobs.release(item.id, token).catch(() => undefined);
  }
}

/**
 * Moves one result to the job's target, crash-safely: copy it (from its bucket through a
 * temporary file, or from the results disk) with the target's own verification; check the copy
 * against the SHA-256 recorded for it; switch the record to the copy, recording in the same
 * transaction the source object to delete; then delete it. A crash before the switch leaves an
 * unused copy that the next attempt overwrites; after it, a recorded deletion that the next batch
 * (or the worker's tick) carries out. Nothing is deleted before its copy is verified and recorded.
 */
async function moveOne(deps: OffloadDeps, job: BulkJobRow, item: MoveItem, { jobs, token }: Lease, signal?: AbortSignal): Promise<Outcome> {
  const { config } = deps;
  const { locations } = deps.scope();
  const [source, target] = await Promise.all([locations.require(job.sourceLocationId), locations.require(job.targetLocationId!)]);
  const temp = path.join(config.dataDir, 'tmp', `bulk-${token}`);
  try {
    const local = target.id === LOCAL_LOCATION_ID;
    const bucketTarget = local ? null : bucketDriver(deps, locations, target, 'write');
    const targetDriver = bucketTarget ?? new LocalDriver(config.resultsDir, config.publicUrl);
    const copyKey = local ? item.path : objectKey(locations.settingsOf(target, 'write').keyPrefix, item.path);
    // An earlier move out of the target under this key may have left its deletion to do: not of this copy.
    if (!local) await jobs.cancelPendingDelete(target.id, copyKey);
    const sourceDriver = source.id === LOCAL_LOCATION_ID ? null : bucketDriver(deps, locations, source, 'read');
    // Where the store can copy inside itself (a driver that offers it says when), the bytes never leave it.
    const copied =
      sourceDriver && bucketTarget?.copyFrom && item.sha256
        ? await bucketTarget.copyFrom(sourceDriver, item.objectKey!, copyKey, { size: item.size, sha256: item.sha256 })
        : null;
    let written = copied;
    if (!written) {
      // The bytes to copy: the bucket object (downloaded, and checked against the recorded SHA-256), or the local file.
      let file = path.join(config.resultsDir, item.path);
      if (sourceDriver) {
        await mkdir(path.dirname(temp), { recursive: true });
        const downloaded = await download(sourceDriver, item.objectKey!, temp);
        if (item.sha256 && downloaded !== item.sha256) {
          return failed(`The object in ${describe(source)} does not match the SHA-256 recorded for it (${item.sha256.slice(0, 12)}…): not moved`);
        }
        file = temp;
      }
      written = await targetDriver.writeFile(copyKey, file, { contentType: item.contentType, cacheControl: IMMUTABLE, signal });
    }
    if (item.sha256 && written.sha256 !== item.sha256) {
      await targetDriver.delete(copyKey).catch(() => undefined);
      return failed(`The copy written to ${describe(target)} does not match the SHA-256 recorded for ${item.path}: not moved`);
    }
    const switched = await jobs.switchTo(
      item,
      token,
      { locationId: target.id, objectKey: local ? null : copyKey, sha256: written.sha256, local, size: written.size },
      job,
    );
    if (!switched) {
      // Deleted (or taken over) meanwhile: the copy must not outlive it.
      await targetDriver.delete(copyKey).catch(() => undefined);
      return { kind: 'skipped' };
    }
    if (job.deleteSource) await (source.id === LOCAL_LOCATION_ID ? finishPendingLocalDeletes(deps) : removeLeftSources(deps));
    return { kind: 'done', bytes: written.size, recorded: true };
  } finally {
    await rm(temp, { force: true });
  }
}

/** The SHA-256 of a result's stored object as it reads back now; null when it is missing. */
async function storedSha256(driver: BucketDriver, key: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of (await driver.read(key)) as AsyncIterable<Buffer>) hash.update(chunk);
  } catch (error) {
    if (StorageError.is(error, 'NOT_FOUND')) return null;
    throw error;
  }
  return hash.digest('hex');
}

/** The SHA-256 of the result's local copy, or null when there is none. */
const localSha256 = (file: string) =>
  hashFile(file).then(
    ({ sha256 }) => sha256,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)),
  );

/**
 * A scrub of one result: its stored object read back and compared with the SHA-256 recorded for
 * it. A missing or different object is marked, and re-uploaded from the local copy when that
 * still has the recorded bytes (verified like any upload); otherwise the result is listed as
 * failed with what was found.
 */
async function verifyOne(deps: OffloadDeps, job: BulkJobRow, item: MoveItem, { jobs, token }: Lease, signal?: AbortSignal): Promise<Outcome> {
  const { locations } = deps.scope();
  const location = await locations.require(job.sourceLocationId);
  const driver = bucketDriver(deps, locations, location, 'read');
  const found = await storedSha256(driver, item.objectKey!);
  if (found !== null && (found === item.sha256 || !item.sha256)) {
    await jobs.recordIntegrity(item.id, token, 'OK');
    return { kind: 'done', bytes: item.size };
  }
  const problem = found === null ? 'MISSING' : 'MISMATCH';
  const local = path.join(deps.config.resultsDir, item.path);
  if (item.localCopy && (await localSha256(local)) === item.sha256) {
    const written = await bucketDriver(deps, locations, location, 'write').writeFile(item.objectKey!, local, {
      contentType: item.contentType,
      cacheControl: IMMUTABLE,
      signal,
    });
    if (written.sha256 === item.sha256) {
      await jobs.recordIntegrity(item.id, token, 'REPAIRED');
      return { kind: 'done', bytes: item.size };
    }
  }
  await jobs.recordIntegrity(item.id, token, problem);
  return failed(
    problem === 'MISSING'
      ? `The object ${item.objectKey} is missing from ${describe(location)}, and no local copy with the recorded bytes is left to restore it from`
      : `The object ${item.objectKey} in ${describe(location)} does not match the SHA-256 recorded for it (${item.sha256!.slice(0, 12)}…), and no ` +
          'local copy with the recorded bytes is left to repair it from',
  );
}

/**
 * Deletes one result's local copy, only once its stored object has read back exactly as recorded
 * (the local copy may be the last good one). Marked first, in the record, then deleted: a crash
 * between leaves the mark, which the worker's tick finishes.
 */
async function removeLocalOne(deps: OffloadDeps, job: BulkJobRow, item: MoveItem, { jobs, token }: Lease): Promise<Outcome> {
  const { locations, creativeRepository } = deps.scope();
  const location = await locations.require(job.sourceLocationId);
  const found = await storedSha256(bucketDriver(deps, locations, location, 'read'), item.objectKey!);
  if (found === null || !item.sha256 || found !== item.sha256) {
    return failed(
      found === null
        ? `The object ${item.objectKey} is missing from ${describe(location)}: the local copy is kept`
        : `The object ${item.objectKey} in ${describe(location)} does not read back as recorded: the local copy is kept`,
    );
  }
  if (!(await jobs.markLocalDeletePending(item, token, job.id))) return { kind: 'skipped' };
  await removeLocalCopy(deps, creativeRepository, item.id, item.path);
  return { kind: 'done', bytes: item.size, recorded: true };
}

const failed = (error: string): Outcome => ({ kind: 'failed', error });
const describe = (location: StorageLocation) => (location.id === LOCAL_LOCATION_ID ? 'the results disk' : `bucket ${location.bucket}`);

function bucketDriver(
  deps: OffloadDeps,
  locations: ReturnType<OffloadDeps['scope']>['locations'],
  location: StorageLocation,
  operation: 'read' | 'write' | 'delete',
) {
  return deps.drivers.for(location.provider as ProviderKey, locations.settingsOf(location, operation), {
    partSize: deps.config.offload.partSizeBytes,
    queueSize: deps.config.offload.partQueueSize,
    requestTimeoutMs: deps.config.offload.requestTimeoutSeconds * 1000,
  });
}

/** Streams an object to `file`, returning the SHA-256 of what arrived. */
async function download(driver: BucketDriver, key: string, file: string): Promise<string> {
  const hash = createHash('sha256');
  const body = await driver.read(key);
  await pipeline(
    body,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return hash.digest('hex');
}

/**
 * Deletes the source objects that finished moves recorded (a crash may have come between the
 * switch and the delete), each only if no result references it again by then (a later move back
 * to the same key). Each deletion holds its row meanwhile, and a move that is about to write to
 * that key first takes the row away (waiting for the hold), so a deletion never lands on a copy.
 */
export async function removeLeftSources(deps: OffloadDeps): Promise<number> {
  const { em, locations } = deps.scope();
  let removed = 0;
  for (const pending of await new BulkJobRepository(em).pendingDeletes(100)) {
    await em.transactional(async (tx) => {
      const jobs = new BulkJobRepository(tx);
      if (!(await jobs.holdPendingDelete(pending.id))) return; // another worker has it
      const location = await locations.get(pending.locationId);
      if (location && !(await referenced(tx, pending.locationId, pending.objectKey))) {
        await bucketDriver(deps, locations, location, 'delete').delete(pending.objectKey);
        removed++;
      }
      await jobs.deleted(pending.id);
    });
  }
  return removed;
}

/** Queues a batch for every running job that has none left (see BulkJobRepository.stranded). */
export async function requeueStranded(deps: OffloadDeps): Promise<number> {
  const jobs = new BulkJobRepository(deps.scope().em);
  const stranded = await jobs.stranded();
  for (const id of stranded) await jobs.queueBatch(id);
  return stranded.length;
}

/**
 * Removes the temporary copies (tmp/bulk-<lease token>) that moves killed mid-copy left behind:
 * a copy whose lease no longer holds belongs to no move (a live move renews its lease, and removes
 * its copy itself when it ends). A video's copy can be gigabytes.
 */
export async function removeLeftTempFiles(deps: OffloadDeps): Promise<number> {
  const dir = path.join(deps.config.dataDir, 'tmp');
  const tokens = (await readdir(dir).catch(() => [] as string[])).flatMap((name) => /^bulk-([0-9a-f-]{36})$/.exec(name)?.[1] ?? []);
  if (!tokens.length) return 0;
  const live = await new BulkJobRepository(deps.scope().em).heldLeases(tokens);
  const left = tokens.filter((token) => !live.has(token));
  await Promise.all(left.map((token) => rm(path.join(dir, `bulk-${token}`), { force: true })));
  return left.length;
}

/**
 * The daily sample: for every bucket location holding results, a VERIFY job over a random sample
 * of `verifySampleSize` of them, unless one is already running there. Returns the jobs started.
 */
export async function startDailySample(deps: OffloadDeps): Promise<number> {
  const size = deps.config.offload.verifySampleSize;
  if (!size) return 0;
  const scope = deps.scope();
  const { locations } = scope;
  const service = new BulkJobsService(scope, deps.config.resultsDir);
  const running = new Set((await service.list(200)).filter((j) => j.kind === 'VERIFY' && j.state === 'RUNNING').map((j) => j.sourceLocationId));
  let started = 0;
  for (const location of await locations.list()) {
    if (location.id === LOCAL_LOCATION_ID || running.has(location.id) || !(await locations.usageOf(location.id))?.results) continue;
    const request = { kind: 'VERIFY' as const, sourceLocationId: location.id, targetLocationId: null, deleteSource: false, filter: {}, sample: size };
    await service.start(request, 'daily sample');
    started++;
  }
  return started;
}

/**
 * A scan job: the results disk walked in one task, first to count what it would register (the
 * job's size, shown as it runs), then to register it in batches (a restart or a resume walks
 * again and finds what it registered known), adding its progress to the job as it goes,
 * stopping when paused or canceled.
 */
async function runScan(deps: OffloadDeps, job: BulkJobRow): Promise<void> {
  const { em, creativeRepository } = deps.scope();
  const jobs = new BulkJobRepository(em);
  const keepGoing = async () => (await jobs.get(job.id))?.state === 'RUNNING';
  if (job.plannedEstimated) {
    const counted = await scanResultsDisk(deps.config.resultsDir, creativeRepository, { dryRun: true, keepGoing });
    if (!(await keepGoing())) return;
    await jobs.setPlan(job.id, { items: counted.registered, bytes: counted.bytes });
  }
  const reported = { registered: 0, bytes: 0, known: 0, unusable: 0 };
  await scanResultsDisk(deps.config.resultsDir, creativeRepository, {
    dryRun: false,
    keepGoing,
    progress: async (counts) => {
      await jobs.addCounts(job.id, {
        done: counts.registered - reported.registered,
        bytes: counts.bytes - reported.bytes,
        skipped: counts.known - reported.known,
        failed: counts.unusable - reported.unusable,
        example: counts.example && `Not results, left alone: ${counts.unusable} file(s), e.g. ${counts.example}`,
      });
      Object.assign(reported, { registered: counts.registered, bytes: counts.bytes, known: counts.known, unusable: counts.unusable });
    },
  });
  await jobs.transition(job.id, ['RUNNING'], 'COMPLETED');
}
