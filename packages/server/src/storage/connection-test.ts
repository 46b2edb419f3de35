import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { describeMissing, type ConnectionTestResult } from '@offload/types';
import { StorageError } from './drivers/errors.js';
import { objectKey } from './drivers/keys.js';
import type { ProviderDrivers } from './provider-driver.js';
import type { ProviderState } from './storage-settings.service.js';

export const READ_BACK_FAILED = 'Upload succeeded but the object could not be read back';

/** Whether the probe is served, byte for byte, at the Public / CDN URL, fetched anonymously. */
async function checkPublicUrl(url: string | null, body: Buffer, hint: string, timeoutMs: number): Promise<string | null> {
  if (!url) {
    return (
      'No Public / CDN URL is set: offloaded results will not be publicly viewable from the bucket. Offload will serve them through short-lived ' +
      `signed links instead; for direct, cacheable links make the bucket public and set its URL (${hint}).`
    );
  }
  const base = new URL(url).origin;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!res.ok)
      return (
        `The Public / CDN URL did not serve the test object (HTTP ${res.status} from ${base}): make the bucket public (${hint}) ` +
        `and check the URL and Key Prefix, or offloaded results will show broken.`
      );
    if (!Buffer.from(await res.arrayBuffer()).equals(body)) {
      return `The Public / CDN URL served different content for the test object: check that it points at this bucket and that the Key Prefix matches.`;
    }
    return null;
  } catch (error) {
    return (
      `The Public / CDN URL could not be reached (${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}): check ` +
      `it, or offloaded results will show broken.`
    );
  }
}

/**
 * Uploads a tiny probe, reads it back and compares bytes, checks it through the Public / CDN
 * URL, and deletes it — never leaving it behind when delete is allowed.
 */
export async function testConnection(
  state: Pick<ProviderState, 'key' | 'spec' | 'settings' | 'decryptError' | 'configured' | 'missing'>,
  drivers: ProviderDrivers,
  options: { publicUrlTimeoutMs?: number } = {},
): Promise<ConnectionTestResult> {
  const started = performance.now();
  const done = (result: Omit<ConnectionTestResult, 'durationMs'>): ConnectionTestResult => ({ ...result, durationMs: Math.round(performance.now() - started) });
  const { settings, spec } = state;

  if (state.decryptError || !state.configured) {
    const message = state.decryptError
      ? `The stored settings cannot be decrypted with the current APP_KEY: enter the credentials again.`
      : `Incomplete configuration: fill in ${describeMissing(state.key, state.missing)}.`;
    return done({ ok: false, step: 'CONFIGURATION', code: 'INCOMPLETE_CONFIGURATION', message, warnings: [] });
  }

  // Fail fast: one attempt, short timeouts; the admin is waiting on a spinner.
  const driver = drivers.for(state.key, settings, { maxAttempts: 1, connectionTimeoutMs: 5000, requestTimeoutMs: 20_000 });
  const key = objectKey(settings.keyPrefix, `.offload/connection-test/${randomUUID()}.txt`);
  const body = Buffer.from(`Offload connection test for ${spec.label}, ${new Date().toISOString()}\n`);
  const warnings: string[] = [];

  try {
    await driver.writeBuffer(key, body, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-store' });
  } catch (error) {
    const e = error as StorageError;
    const message =
      e.code === 'ACCESS_DENIED'
        ? `Permission denied on upload: this key may not write to bucket "${settings.bucket}". ${spec.writeDeniedAdvice}`
        : `Connection failed: ${e.message}.`;
    return done({ ok: false, step: 'UPLOAD', code: e.code ?? 'UNKNOWN', message, warnings });
  }

  if ((await driver.storeVerifiesChecksums(key)) === false) {
    warnings.push(
      'This store accepted an upload whose bytes did not match the checksum sent with them, so it does not verify what it receives: Offload will read every ' +
        'upload back and compare it before counting it as stored (one extra download per result).',
    );
  }

  const deleteProbe = async (): Promise<StorageError | null> =>
    driver.delete(key).then(
      () => null,
      (error: StorageError) => error,
    );

  let readBack: Buffer;
  try {
    readBack = await buffer(await driver.read(key));
  } catch (error) {
    const e = error as StorageError;
    const deleteError = await deleteProbe();
    if (deleteError) warnings.push(`The test object ${key} could not be deleted (${deleteError.code}); remove it from the bucket by hand.`);
    const message = e.code === 'ACCESS_DENIED' ? READ_BACK_FAILED : `${READ_BACK_FAILED}: ${e.message}.`;
    return done({ ok: false, step: 'READ_BACK', code: e.code ?? 'UNKNOWN', message, warnings });
  }
  if (!readBack.equals(body)) {
    await deleteProbe();
    return done({
      ok: false,
      step: 'READ_BACK',
      code: 'CONTENT_MISMATCH',
      message: `${READ_BACK_FAILED} unchanged: the bucket returned different bytes.`,
      warnings,
    });
  }

  const publicWarning = await checkPublicUrl(driver.publicUrl(key), body, spec.publicUrlHint, options.publicUrlTimeoutMs ?? 5000);
  if (publicWarning) warnings.push(publicWarning);

  const deleteError = await deleteProbe();
  if (deleteError) {
    const message =
      deleteError.code === 'ACCESS_DENIED'
        ? `Upload and read-back work, but delete was denied: this key may not delete objects, so deleting results will fail. Grant delete permission, ` +
          `and remove ${key} by hand.`
        : `Upload and read-back work, but deleting the test object failed: ${deleteError.message}.`;
    return done({ ok: false, step: 'DELETE', code: deleteError.code, message, warnings });
  }

  return done({ ok: true, step: null, code: null, message: `${spec.label} is ready: a test object was uploaded, read back and deleted.`, warnings });
}
