import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { isProviderKey, type ProviderKey } from '@offload/types';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { StorageError } from '../storage/errors.js';
import { objectKey } from '../storage/keys.js';
import { providerDriver } from '../storage/provider-driver.js';
import type { SettingsCipher } from '../storage/settings-cipher.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import type { Metrics } from './metrics.js';

export const OFFLOAD_TASK = 'offload';
/** The queue's own limit, kept high: `offload_attempts` and OFFLOAD_MAX_ATTEMPTS decide when an offload has failed. */
export const QUEUE_MAX_ATTEMPTS = 25;
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Thrown to make the queue try again later without counting as an offload attempt. */
export class TryLater extends Error {
  override readonly name = 'TryLater';
}

export interface OffloadDeps {
  orm: MikroORM;
  cipher: SettingsCipher;
  config: Config;
  logger: Logger;
  metrics: Metrics;
}

const rowOf = (rows: unknown[]) => rows[0] as Record<string, unknown> | undefined;

/** Removes an offloaded creative's local file and records that it is gone. */
export async function removeLocalCopy(deps: Pick<OffloadDeps, 'orm' | 'config'>, creativeId: string, relativePath: string): Promise<void> {
  await rm(path.join(deps.config.resultsDir, relativePath), { force: true });
  await deps.orm.em.getConnection().execute(`update creative set local_copy = false, local_delete_pending = false where id = ?`, [creativeId]);
}

/**
 * A safety net for creatives waiting on a job that no longer exists or can no longer run
 * (whatever removed it): they get a fresh one. Looks only at ones idle for a while.
 */
export async function requeueOrphans(deps: Pick<OffloadDeps, 'orm' | 'config'>): Promise<number> {
  const rows = await deps.orm.em.getConnection().execute(
    `with orphans as (
       select c.id from creative c
       where c.offload_status in ('QUEUED', 'UPLOADING')
         and (c.lease_expires_at is null or c.lease_expires_at < now())
         and c.updated_at < now() - (? * interval '1 second')
         and not exists (select 1 from graphile_worker.jobs j where j.key = c.id::text and j.attempts < j.max_attempts)
       limit 100
     ), requeued as (
       update creative set offload_status = 'QUEUED', lease_token = null, lease_expires_at = null, updated_at = now()
       where id in (select id from orphans) returning id
     )
     select graphile_worker.add_job(?, json_build_object('creativeId', id::text), job_key => id::text, max_attempts => ?) from requeued`,
    [deps.config.offload.leaseSeconds * 2, OFFLOAD_TASK, QUEUE_MAX_ATTEMPTS],
  );
  return rows.length;
}

/** Finishes local deletions a crash interrupted (offloaded and verified, file not yet removed). */
export async function finishPendingLocalDeletes(deps: Pick<OffloadDeps, 'orm' | 'config'>): Promise<number> {
  const rows = (await deps.orm.em
    .getConnection()
    .execute(`select id, path from creative where local_delete_pending and offload_status = 'OFFLOADED' limit 100`)) as { id: string; path: string }[];
  for (const row of rows) await removeLocalCopy(deps, row.id, row.path);
  return rows.length;
}

/**
 * Moves one creative to its bucket, crash-safely: claim it under a lease, stream it up with
 * every byte checked by the store, record the new location, and only then delete the local copy. Idempotent: safe to run twice, or after a crash at any point.
 */
export async function offloadCreative(deps: OffloadDeps, creativeId: string): Promise<void> {
  const { orm, config, logger, metrics } = deps;
  const db = orm.em.getConnection();
  const token = randomUUID();
  const leaseSeconds = config.offload.leaseSeconds;

  const claimed = rowOf(
    await db.execute(
      `update creative set offload_status = 'UPLOADING', lease_token = ?, lease_expires_at = now() + (? * interval '1 second'), offload_attempts = offload_attempts + 1, updated_at = now()
       where id = ? and (offload_status = 'QUEUED' or (offload_status = 'UPLOADING' and lease_expires_at < now()))
       returning id, path, content_type, target_provider, offload_attempts`,
      [token, leaseSeconds, creativeId],
    ),
  );
  if (!claimed) {
    const current = rowOf(await db.execute(`select offload_status from creative where id = ?`, [creativeId]));
    // Held by another worker (perhaps one that died: its lease runs out), or just handed back
    // for a retry: try again later. Only a finished or deleted creative ends the job here.
    if (current?.offload_status === 'UPLOADING' || current?.offload_status === 'QUEUED') throw new TryLater(`creative ${creativeId} is being uploaded elsewhere`);
    return;
  }
  const creative = { path: String(claimed.path), contentType: String(claimed.content_type), attempts: Number(claimed.offload_attempts) };
  const target = String(claimed.target_provider ?? '');
  const log = logger.child({ creativeId, path: creative.path, provider: target });
  const started = performance.now();

  const renew = setInterval(() => {
    db.execute(`update creative set lease_expires_at = now() + (? * interval '1 second') where id = ? and lease_token = ?`, [leaseSeconds, creativeId, token]).catch((error) =>
      log.warn({ err: error }, 'could not renew the offload lease'),
    );
  }, (leaseSeconds * 1000) / 3);

  /** Writes the outcome only while this worker still holds the lease. */
  const finish = async (sets: string, params: unknown[]) =>
    (await db.execute(`update creative set ${sets}, lease_token = null, lease_expires_at = null, updated_at = now() where id = ? and lease_token = ? returning id`, [...params, creativeId, token])).length > 0;

  try {
    const state = isProviderKey(target) ? await new StorageSettingsService(orm.em.fork(), deps.cipher, config.license).provider(target) : null;
    if (!state?.selectable) {
      const reason = state ? `${state.spec.label}: ${state.problem}` : `unknown provider "${target}"`;
      await finish(`offload_status = 'LOCAL', target_provider = null, last_error = ?`, [`Not offloaded, kept on this server: ${reason} when the upload was due.`]);
      metrics.offloads.inc({ outcome: 'skipped', provider: target });
      log.info({ reason }, 'offload skipped: the provider is no longer available');
      return;
    }

    const file = path.join(config.resultsDir, creative.path);
    const before = await stat(file).catch(() => null);
    if (!before?.isFile()) {
      await finish(`offload_status = 'FAILED', last_error = ?`, [`The local file ${creative.path} is missing, so it cannot be offloaded.`]);
      metrics.offloads.inc({ outcome: 'failed', provider: target });
      log.error('offload failed: the local file is missing');
      return;
    }

    const key = objectKey(state.settings.keyPrefix, creative.path);
    const driver = providerDriver(state.key as ProviderKey, state.settings, {
      partSize: config.offload.partSizeBytes,
      queueSize: config.offload.partQueueSize,
      requestTimeoutMs: config.offload.requestTimeoutSeconds * 1000,
    });
    // Resolves only once the store has verified every byte (or the object was read back and matched).
    const { sha256, size, verification } = await driver.writeFile(key, file, { contentType: creative.contentType, cacheControl: IMMUTABLE });

    const deleteLocal = state.settings.deleteLocalCopy;
    const recorded = await finish(`offload_status = 'OFFLOADED', location = ?, object_key = ?, sha256 = ?, size = ?, last_error = null, offloaded_at = now(), local_delete_pending = ?`, [
      state.key,
      key,
      sha256,
      size,
      deleteLocal,
    ]);
    if (!recorded) {
      const exists = rowOf(await db.execute(`select 1 from creative where id = ?`, [creativeId]));
      // Deleted while uploading: the object must not outlive its creative.
      if (!exists) await driver.delete(key);
      log.warn({ deleted: !exists }, 'offload finished after losing its lease; left the outcome to the current holder');
      return;
    }
    metrics.offloads.inc({ outcome: 'offloaded', provider: state.key });
    metrics.bytes.inc({ provider: state.key }, size);
    metrics.duration.observe({ provider: state.key }, (performance.now() - started) / 1000);
    log.info({ objectKey: key, size, verification, ms: Math.round(performance.now() - started) }, 'creative offloaded');

    // Only now, with the object verified and recorded, may the local copy go.
    if (deleteLocal) await removeLocalCopy(deps, creativeId, creative.path);
  } catch (error) {
    if (error instanceof TryLater) throw error;
    const message = error instanceof StorageError ? error.message : `Unexpected error: ${(error as Error).message}`;
    const final = creative.attempts >= config.offload.maxAttempts;
    await finish(`offload_status = ?, last_error = ?`, [final ? 'FAILED' : 'QUEUED', message]).catch((e) => log.error({ err: e }, 'could not record the offload failure'));
    metrics.offloads.inc({ outcome: final ? 'failed' : 'retrying', provider: target });
    log.warn({ attempt: creative.attempts, of: config.offload.maxAttempts, error: message }, final ? 'offload failed for good; the creative stays local' : 'offload failed; will retry');
    if (!final) throw error;
  } finally {
    clearInterval(renew);
  }
}
