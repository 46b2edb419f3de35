import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgedGcsKey, gcsAdmin, gcsTestTarget, newGcsAccount, NO_GCS_EMULATOR, type GcsServiceAccountKey } from '../../test/gcs.js';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { skipBecause } from '../../test/skip.js';
import { configureProvider } from '../../test/storage-fixtures.js';
import { TcpProxy } from '../../test/tcp-proxy.js';
import { StorageError } from './drivers/errors.js';
import { GcsDriver } from './drivers/gcs-driver.js';

const target = await gcsTestTarget();

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended' });
  await configureProvider(app, 'GOOGLE_CLOUD_STORAGE', { serviceAccountKey: JSON.stringify(target.full), bucket: target.bucket, apiEndpoint: target.endpoint });
});
afterAll(async () => {
  // No part of any private key reached a log line.
  for (const key of [target.full, target.reader, target.writer]) if (key) expect(app.logs.text).not.toContain(key.private_key.split('\n')[3]);
  await app?.stop();
});

type Result = { ok: boolean; step: string | null; code: string | null; message: string; warnings: string[] };
const test = async (values: Record<string, unknown>) => {
  const res = await app.graphql<{ testStorageConnection: Result }>(
    'mutation($s: JSONObject) { testStorageConnection(provider: GOOGLE_CLOUD_STORAGE, values: $s) { ok step code message warnings } }',
    { s: values },
    await app.adminHeaders(),
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.testStorageConnection;
};
/** A port on this machine nothing listens on (one just let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
/** The test bucket where it is served (earlier tests save other places: the settings a test passes are saved). */
const inTestBucket = { bucket: target.bucket, apiEndpoint: target.endpoint };
const withKey = (key: GcsServiceAccountKey, more: Record<string, unknown> = {}) => ({ serviceAccountKey: JSON.stringify(key), ...more });

/** Probes left in the bucket under `prefix`, listed with the full key. */
async function probesLeft(prefix: string): Promise<string[]> {
  const listed = [];
  const driver = new GcsDriver({ ...driverPlace(target.full), publicUrl: '' });
  for await (const object of driver.list(prefix)) listed.push(object.key);
  return listed;
}
const driverPlace = (key: GcsServiceAccountKey) => ({
  endpoint: target.endpoint,
  bucket: target.bucket,
  projectId: key.project_id,
  clientEmail: key.client_email,
  privateKey: key.private_key,
  tokenUri: key.token_uri,
});

describe('Test connection against Google Cloud Storage', () => {
  it('passes with a key that may create, read and delete objects, leaving no probe behind', async () => {
    const result = await test(withKey(target.full, { keyPrefix: 'ct-ok', publicUrl: '' }));
    expect(result).toMatchObject({
      ok: true,
      step: null,
      code: null,
      message: 'Google Cloud Storage is ready: a test object was uploaded, read back and deleted.',
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^No Public \/ CDN URL is set.*https:\/\/storage\.googleapis\.com\/<bucket> once allUsers may view/),
    ]);
    expect(await probesLeft('ct-ok/')).toEqual([]);
  });

  it('checks the probe through the public bucket’s URL, fetched anonymously', async (ctx) => {
    skipBecause(ctx, !target.publicBucket && 'needs a public bucket (GCS_TEST_PUBLIC_BUCKET on real GCS)');
    const result = await test({ bucket: target.publicBucket, keyPrefix: 'ct-public', publicUrl: `${target.endpoint}/${target.publicBucket}` });
    expect(result).toMatchObject({ ok: true, warnings: [] });
    const privateUrl = await test({ bucket: target.bucket, publicUrl: `${target.endpoint}/${target.bucket}` });
    expect(privateUrl.warnings).toEqual([expect.stringMatching(/^The Public \/ CDN URL did not serve the test object \(HTTP 403 from /)]);
  });

  it('names a key the token endpoint refuses as bad credentials, without quoting it', async () => {
    const forged = forgedGcsKey(target.full);
    const result = await test(withKey(forged, { publicUrl: '' }));
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD', code: 'INVALID_CREDENTIALS' });
    expect(result.message).toMatch(
      /^Connection failed: Google Cloud refused the service-account key of .*: check that the key is current and not deleted \(invalid_grant/,
    );
    expect(result.message).not.toContain(forged.private_key.split('\n')[2]);
  });

  it('names permission denied on upload for a read-only account, with the role to grant', async (ctx) => {
    skipBecause(ctx, !target.reader && NO_GCS_EMULATOR);
    const result = await test(withKey(target.reader!, { keyPrefix: 'ct-reader' }));
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD', code: 'ACCESS_DENIED' });
    expect(result.message).toBe(
      `Permission denied on upload: this key may not write to bucket "${target.bucket}". Grant the service account Storage Object Admin ` +
        '(roles/storage.objectAdmin) on the bucket: it creates, reads and deletes objects.',
    );
  });

  it('says exactly "Upload succeeded but the object could not be read back" for a write-only account', async (ctx) => {
    skipBecause(ctx, !target.writer && NO_GCS_EMULATOR);
    const result = await test(withKey(target.writer!, { keyPrefix: 'ct-writer' }));
    expect(result).toMatchObject({ ok: false, step: 'READ_BACK', code: 'ACCESS_DENIED', message: 'Upload succeeded but the object could not be read back' });
    // An object creator may not delete either (as on GCS): the admin is told to remove the probe.
    expect(result.warnings).toEqual([
      expect.stringMatching(/^The test object ct-writer\/\.offload\/connection-test\/.*could not be deleted \(ACCESS_DENIED\)/),
    ]);
  });

  it('names a bucket that does not exist, and an endpoint where nothing listens', async () => {
    expect(await test(withKey(target.full, { bucket: 'no-such-bucket-offload' }))).toMatchObject({
      ok: false,
      step: 'UPLOAD',
      code: 'BUCKET_NOT_FOUND',
      message: `Connection failed: Bucket "no-such-bucket-offload" does not exist at ${target.endpoint}.`,
    });
    expect(await test({ bucket: target.bucket, apiEndpoint: 'http://127.0.0.1:9' })).toMatchObject({
      ok: false,
      step: 'UPLOAD',
      code: 'ENDPOINT_UNREACHABLE',
      message: 'Connection failed: Could not reach http://127.0.0.1:9 (connection refused: nothing is listening there).',
    });
  });

  it('calls a key prefix GCS refuses in object names INVALID_CONFIGURATION, giving Google’s reason', async () => {
    // GCS reserves names under .well-known/acme-challenge/ and answers 400 to an upload of one.
    const result = await test(withKey(target.full, { ...inTestBucket, keyPrefix: '.well-known/acme-challenge', publicUrl: '' }));
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD', code: 'INVALID_CONFIGURATION' });
    expect(result.message).toMatch(
      /^Connection failed: The bucket refused the request as invalid: .*\.well-known\/acme-challenge\/\.offload\/connection-test\//,
    );
  });

  it('tells an account that may create and read but not delete that delete was denied, naming the probe to remove', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const result = await test(withKey(await newGcsAccount('objectCreatorViewer'), { ...inTestBucket, keyPrefix: 'ct-no-delete', publicUrl: '' }));
    const [probe, ...others] = await probesLeft('ct-no-delete/');
    expect(others).toEqual([]);
    expect(result).toMatchObject({
      ok: false,
      step: 'DELETE',
      code: 'ACCESS_DENIED',
      message:
        'Upload and read-back work, but delete was denied: this key may not delete objects, so deleting results will fail. Grant delete permission, ' +
        `and remove ${probe} by hand.`,
    });
    await new GcsDriver({ ...driverPlace(target.full), publicUrl: '' }).delete(probe!);
  });

  it('names the missing key before touching the network', async () => {
    const res = await app.graphql(
      'mutation { saveProviderSettings(provider: GOOGLE_CLOUD_STORAGE, values: { apiEndpoint: "" }) { configured } }',
      {},
      await app.adminHeaders(),
    );
    expect(res.errors).toBeUndefined();
    const fresh = await startTestApp({ LICENSE_TYPE: 'extended' });
    try {
      await configureProvider(fresh, 'GOOGLE_CLOUD_STORAGE', { bucket: target.bucket });
      const result = await fresh.graphql<{ testStorageConnection: Result }>(
        'mutation { testStorageConnection(provider: GOOGLE_CLOUD_STORAGE) { ok step code message warnings } }',
        {},
        await fresh.adminHeaders(),
      );
      expect(result.data!.testStorageConnection).toEqual({
        ok: false,
        step: 'CONFIGURATION',
        code: 'INCOMPLETE_CONFIGURATION',
        message: 'Incomplete configuration: fill in Service account key.',
        warnings: [],
      });
    } finally {
      await fresh.stop();
    }
  });
});

describe('Test connection when the token endpoint, not the key, is at fault', () => {
  afterEach(async () => {
    if (target.emulated) await gcsAdmin.clearFaults();
  });

  /**
   * The key with a token_uri of the test's own: the test server's token endpoint with a query that
   * marks it, so that a fault set on that mark answers this test's exchange and no other test's.
   */
  const withOwnTokenUri = () => {
    const mark = randomUUID();
    return { key: { ...target.full, token_uri: `${target.full.token_uri}?for=${mark}` }, url: `for=${mark}` };
  };

  it.for([503, 429])('reports HTTP %i from the token endpoint as that endpoint’s trouble, naming it, not as bad credentials', async (status, ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const { key, url } = withOwnTokenUri();
    await gcsAdmin.addFault({ match: { method: 'POST', url }, action: { type: 'status', status } });
    const result = await test(withKey(key, { ...inTestBucket, keyPrefix: 'ct-token-busy', publicUrl: '' }));
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD' });
    expect(result.code).not.toBe('INVALID_CREDENTIALS');
    expect(result.message).not.toContain('refused the service-account key');
    expect(result.message).toMatch(/^Connection failed: /);
    // Named by scheme, host and path: the query (here the test's marker) is not repeated.
    expect(result.message).toContain(`${key.token_uri.split('?')[0]} did not issue`);
    expect(result.message).not.toContain(url);
    expect(result.message).toContain(`HTTP ${status}`);
  });

  it('names a token endpoint nothing listens on ENDPOINT_UNREACHABLE, as that endpoint rather than the storage API', async () => {
    const tokenUri = `http://127.0.0.1:${await closedPort()}/token`;
    expect(await test(withKey({ ...target.full, token_uri: tokenUri }, { ...inTestBucket, keyPrefix: 'ct-token-nowhere', publicUrl: '' }))).toMatchObject({
      ok: false,
      step: 'UPLOAD',
      code: 'ENDPOINT_UNREACHABLE',
      message: `Connection failed: Could not reach ${tokenUri} (connection refused: nothing is listening there).`,
    });
  });
});

describe('GCS uploads to a store that checks nothing', () => {
  const proxy = new TcpProxy(new URL(target.endpoint));
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());
  const driver = () => new GcsDriver({ ...driverPlace(target.full), endpoint: proxy.url, publicUrl: '', maxAttempts: 1 });

  it('are read back and compared: Test connection warns, and bytes returned altered fail the upload', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    // The proxy accepts the checksum probe for the store, as a store that verifies nothing would.
    const accept = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
    proxy.inject(/^POST \S*offload-checksum-check-/, { respond: accept });
    const result = await test(withKey(target.full, { keyPrefix: 'ct-unverified', apiEndpoint: proxy.url }));
    expect(result.ok).toBe(true);
    expect(result.warnings).toContainEqual(expect.stringMatching(/^This store accepted an upload whose bytes did not match the checksum sent with them/));

    const unchecked = driver();
    proxy.inject(/^POST \S*offload-checksum-check-/, { respond: accept });
    const key = `unverified/${randomUUID()}.txt`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'offload-gcs-unverified-'));
    writeFileSync(path.join(dir, 'a.txt'), 'read me back');
    expect(await unchecked.writeFile(key, path.join(dir, 'a.txt'), { contentType: 'text/plain' })).toMatchObject({ verification: 'read-back' });
    // The read-back sees other bytes than were sent: the upload does not count as stored.
    await gcsAdmin.addFault({ match: { method: 'GET', object: key }, action: { type: 'flipResponse', atByte: 3 } });
    const error = await unchecked.writeFile(key, path.join(dir, 'a.txt'), { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('CHECKSUM_MISMATCH');
    await unchecked.delete(key);
  });
});
