import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { isProviderKey, type ProviderKey } from '@offload/types';
import type { Config } from '../config/config.js';
import type { Creative } from '../creatives/creative.entity.js';
import type { Logger } from '../logger.js';
import { StorageError } from '../storage/errors.js';
import { objectKey } from '../storage/keys.js';
import { providerDriver } from '../storage/provider-driver.js';
import type { SettingsCipher } from '../storage/settings-cipher.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import type { Metrics } from './metrics.js';

export const OFFLOAD_TASK = 'offload';
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

async function sha256Of(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

const rowOf = (rows: unknown[]) => rows[0] as Record<string, unknown> | undefined;

/**
 * Moves one creative to its bucket, crash-safely: claim it under a lease, stream it up,
 * verify size and checksum with a HEAD, record the new location, and only then delete the
 * local copy. Idempotent: safe to run twice, or after a crash at any point.
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
    const current = rowOf(await db.execute(`select offload_status, lease_expires_at > now() as leased from creative where id = ?`, [creativeId]));
    // A worker that died holding the lease: try again once the lease has run out.
    if (current?.offload_status === 'UPLOADING' && current.leased) throw new TryLater(`creative ${creativeId} is leased by another worker`);
    return; // offloaded, local, failed or deleted meanwhile: nothing to do
  }
  const creative = { id: creativeId, path: String(claimed.path), contentType: String(claimed.content_type), attempts: Number(claimed.offload_attempts) } satisfies Partial<Creative> & { attempts: number };
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

    const { sha256, size } = await sha256Of(file);
    const key = objectKey(state.settings.keyPrefix, creative.path);
    const driver = providerDriver(state.key as ProviderKey, state.settings, { partSize: config.offload.partSizeBytes, queueSize: config.offload.partQueueSize });
    await driver.write(key, createReadStream(file, { highWaterMark: 1024 * 1024 }), { contentType: creative.contentType, cacheControl: IMMUTABLE, metadata: { sha256 } });

    const stored = await driver.stat(key);
    if (!stored || stored.size !== size || stored.metadata.sha256 !== sha256) {
      throw new StorageError('UNKNOWN', 'stat', key, `Verification failed for ${key}: the bucket holds ${stored ? `${stored.size} bytes` : 'nothing'}, expected ${size} bytes with SHA-256 ${sha256.slice(0, 12)}…`);
    }

    const recorded = await finish(`offload_status = 'OFFLOADED', location = ?, object_key = ?, sha256 = ?, size = ?, last_error = null, offloaded_at = now()`, [state.key, key, sha256, size]);
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
    log.info({ objectKey: key, size, ms: Math.round(performance.now() - started) }, 'creative offloaded');

    // Only now, with the object verified and recorded, may the local copy go.
    if (state.settings.deleteLocalCopy) {
      await rm(file, { force: true });
      await db.execute(`update creative set local_copy = false where id = ?`, [creativeId]);
    }
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
