import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isProviderKey, type ProviderKey } from '@offload/types';
import type { Config } from '../config/config.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CreativeRepository } from '../creatives/creative.repository.js';
import type { StorageSettingsService } from '../storage/storage-settings.service.js';
import type { StorageLocations } from '../storage/storage-locations.service.js';
import type { Logger } from '../log/logger.js';
import { StorageError } from '../storage/drivers/errors.js';
import { objectKey } from '../storage/drivers/keys.js';
import type { ProviderDrivers } from '../storage/provider-driver.js';
import type { Metrics } from './metrics.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Thrown to make the queue try again later without counting as an offload attempt. */
export class TryLater extends Error {
  override readonly name = 'TryLater';
}

export interface OffloadDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  drivers: ProviderDrivers;
  /** The services of one unit of work (a job), on an EntityManager of its own. */
  scope(): { em: EntityManager; creativeRepository: CreativeRepository; storageSettings: StorageSettingsService; locations: StorageLocations };
}

/** Removes an offloaded creative's local file and records that it is gone. */
export async function removeLocalCopy(
  deps: Pick<OffloadDeps, 'config'>,
  creatives: CreativeRepository,
  creativeId: string,
  relativePath: string,
): Promise<void> {
  await rm(path.join(deps.config.resultsDir, relativePath), { force: true });
  await creatives.markLocalCopyRemoved(creativeId);
}

/** Finishes local deletions a crash interrupted (offloaded and verified, file not yet removed). */
export async function finishPendingLocalDeletes(deps: Pick<OffloadDeps, 'config' | 'scope'>): Promise<number> {
  const creatives = deps.scope().creativeRepository;
  const rows = await creatives.pendingLocalDeletes();
  for (const row of rows) await removeLocalCopy(deps, creatives, row.id, row.path);
  return rows.length;
}

/**
 * Moves one creative to its bucket, crash-safely: claim it under a lease, stream it up with
 * every byte checked by the store, record the new location, and only then delete the local copy.
 * Idempotent: safe to run twice, or after a crash at any point.
 */
export async function offloadCreative(deps: OffloadDeps, creativeId: string, signal?: AbortSignal): Promise<void> {
  const { config, logger, metrics } = deps;
  const { creativeRepository: creatives, storageSettings, locations } = deps.scope();
  const token = randomUUID();
  const leaseSeconds = config.offload.leaseSeconds;

  const creative = await creatives.claimForUpload(creativeId, token, leaseSeconds);
  if (!creative) {
    const status = await creatives.statusOf(creativeId);
    // Held by another worker (perhaps one that died: its lease runs out), or just handed back
    // for a retry: try again later. Only a finished or deleted creative ends the job here.
    if (status === 'UPLOADING' || status === 'QUEUED') throw new TryLater(`creative ${creativeId} is being uploaded elsewhere`);
    return;
  }
  const target = creative.targetProvider;
  const log = logger.child({ creativeId, path: creative.path, provider: target });
  const started = performance.now();

  const renew = setInterval(
    () => {
      creatives.renewLease(creativeId, token, leaseSeconds).catch((error) => log.warn({ err: error }, 'could not renew the offload lease'));
    },
    (leaseSeconds * 1000) / 3,
  );

  try {
    const state = isProviderKey(target) ? await storageSettings.provider(target) : null;
    if (!state?.selectable) {
      const reason = state ? `${state.spec.label}: ${state.problem}` : `unknown provider "${target}"`;
      await creatives.finishUpload(creativeId, token, { kind: 'kept-local', reason: `Not offloaded, kept on this server: ${reason} when the upload was due.` });
      metrics.offloads.inc({ outcome: 'skipped', provider: target });
      log.info({ reason }, 'offload skipped: the provider is no longer available');
      return;
    }

    const file = path.join(config.resultsDir, creative.path);
    const before = await stat(file).catch(() => null);
    if (!before?.isFile()) {
      await creatives.finishUpload(creativeId, token, {
        kind: 'attempt-failed',
        error: `The local file ${creative.path} is missing, so it cannot be offloaded.`,
        final: true,
      });
      metrics.offloads.inc({ outcome: 'failed', provider: target });
      log.error('offload failed: the local file is missing');
      return;
    }

    // Queued for a provider, uploaded to where its settings point now: a bucket changed while this
    // waited takes it (it is a new result), and the location it lands in is what is recorded.
    const location = await locations.uploadTarget(state.key, state.settings);
    const key = objectKey(state.settings.keyPrefix, creative.path);
    const driver = deps.drivers.for(state.key as ProviderKey, state.settings, {
      partSize: config.offload.partSizeBytes,
      queueSize: config.offload.partQueueSize,
      requestTimeoutMs: config.offload.requestTimeoutSeconds * 1000,
    });
    // Resolves only once the store has verified every byte (or the object was read back and matched).
    const { sha256, size, verification } = await driver.writeFile(key, file, { contentType: creative.contentType, cacheControl: IMMUTABLE, signal });

    const deleteLocalCopy = state.settings.deleteLocalCopy;
    const recorded = await creatives.finishUpload(creativeId, token, {
      kind: 'offloaded',
      locationId: location.id,
      objectKey: key,
      sha256,
      size,
      deleteLocalCopy,
    });
    if (!recorded) {
      const exists = await creatives.exists(creativeId);
      // Deleted while uploading: the object must not outlive its creative.
      if (!exists) await driver.delete(key);
      log.warn({ deleted: !exists }, 'offload finished after losing its lease; left the outcome to the current holder');
      return;
    }
    metrics.offloads.inc({ outcome: 'offloaded', provider: state.key });
    metrics.bytes.inc({ provider: state.key }, size);
    metrics.duration.observe({ provider: state.key }, (performance.now() - started) / 1000);
    log.info(
      { locationId: location.id, bucket: location.bucket, objectKey: key, size, verification, ms: Math.round(performance.now() - started) },
      'creative offloaded',
    );

    // Only now, with the object verified and recorded, may the local copy go.
    if (deleteLocalCopy) await removeLocalCopy(deps, creatives, creativeId, creative.path);
  } catch (error) {
    if (error instanceof TryLater) throw error;
    if (signal?.aborted) {
      // A shutdown stopped it: nothing is left in the bucket (a multipart upload is aborted), the
      // attempt does not count, and the job runs again after the restart.
      await creatives.finishUpload(creativeId, token, { kind: 'interrupted' }).catch((e) => log.warn({ err: e }, 'could not hand the offload back'));
      log.info('offload stopped by the shutdown; it resumes after the restart');
      throw new TryLater(`the offload of ${creativeId} was stopped by a shutdown`);
    }
    const message = error instanceof StorageError ? error.message : `Unexpected error: ${(error as Error).message}`;
    const final = creative.attempts >= config.offload.maxAttempts;
    await creatives
      .finishUpload(creativeId, token, { kind: 'attempt-failed', error: message, final })
      .catch((e) => log.error({ err: e }, 'could not record the offload failure'));
    metrics.offloads.inc({ outcome: final ? 'failed' : 'retrying', provider: target });
    log.warn(
      { attempt: creative.attempts, of: config.offload.maxAttempts, error: message },
      final ? 'offload failed for good; the creative stays local' : 'offload failed; will retry',
    );
    if (!final) throw error;
  } finally {
    clearInterval(renew);
  }
}
