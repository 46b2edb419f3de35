import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipBecause, NO_PUBLIC_BUCKET, NO_READER_KEY, NO_WRITER_KEY } from '../../test/skip.js';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { independentS3Client, PUBLIC_PREFIX, publicBucketUrl, s3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';
import { TcpProxy } from '../../test/tcp-proxy.js';

const target = s3TestTarget();
// Decided before the tests are collected, so the check below runs wherever the target allows it.
const publicUrl = await publicBucketUrl(target);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended' });
});
afterAll(async () => {
  expect(app.logs.text).not.toContain(target.full.secretAccessKey);
  await app?.stop();
});

type Result = { ok: boolean; step: string | null; code: string | null; message: string; warnings: string[] };
const test = async (settings: Record<string, unknown>) => {
  const res = await app.graphql<{ testStorageConnection: Result }>(
    'mutation($s: JSONObject) { testStorageConnection(provider: CLOUDFLARE_R2, values: $s) { ok step code message warnings } }',
    { s: settings },
    await app.adminHeaders(),
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  expect(JSON.stringify(res)).not.toContain(target.full.secretAccessKey);
  return res.data.testStorageConnection;
};

async function probesLeft(prefix: string): Promise<string[]> {
  const listed = await independentS3Client(target).send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

describe('Test connection against a real S3 server', () => {
  it('passes with correct credentials and leaves no probe behind, warning that no Public / CDN URL is set', async () => {
    await configureR2(app, r2OnTestServer(target.full, { keyPrefix: 'ct-ok' }));
    const result = await test({});
    expect(result).toMatchObject({ ok: true, step: null, code: null, message: 'Cloudflare R2 is ready: a test object was uploaded, read back and deleted.' });
    expect(result.warnings).toEqual([expect.stringMatching(/^No Public \/ CDN URL is set/)]);
    expect(await probesLeft('ct-ok/')).toEqual([]);
  });

  it('checks the probe through the Public / CDN URL, fetched anonymously', async (ctx) => {
    skipBecause(ctx, !publicUrl && NO_PUBLIC_BUCKET);
    const result = await test(r2OnTestServer(target.full, { keyPrefix: PUBLIC_PREFIX, publicUrl }));
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('warns, without failing, when the Public / CDN URL does not serve the object', async () => {
    const result = await test(r2OnTestServer(target.full, { keyPrefix: 'ct-private', publicUrl: `${target.endpoint}/${target.bucket}` }));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^The Public \/ CDN URL did not serve the test object \(HTTP 403 from http:\/\/127\.0\.0\.1:\d+\)/),
    ]);
    expect(await probesLeft('ct-private/')).toEqual([]);
  });

  it('names bad credentials', async () => {
    const result = await test(
      r2OnTestServer({ accessKeyId: target.full.accessKeyId, secretAccessKey: 'wrong-secret-000000000000000000000000' }, { publicUrl: '' }),
    );
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD', code: 'INVALID_CREDENTIALS' });
    expect(result.message).toMatch(/^Connection failed: The bucket rejected the credentials/);
  });

  it('names a bucket that does not exist', async () => {
    const result = await test({ ...r2OnTestServer(), bucket: 'no-such-bucket-offload' });
    expect(result).toMatchObject({
      ok: false,
      step: 'UPLOAD',
      code: 'BUCKET_NOT_FOUND',
      message: `Connection failed: Bucket "no-such-bucket-offload" does not exist at ${target.endpoint}.`,
    });
  });

  it('names an endpoint where nothing listens', async () => {
    const result = await test({ ...r2OnTestServer(), bucket: target.bucket, customEndpoint: 'http://127.0.0.1:9' });
    expect(result).toMatchObject({
      ok: false,
      step: 'UPLOAD',
      code: 'ENDPOINT_UNREACHABLE',
      message: 'Connection failed: Could not reach http://127.0.0.1:9 (connection refused: nothing is listening there).',
    });
  });

  it('says exactly "Upload succeeded but the object could not be read back" for a write-only key', async (ctx) => {
    skipBecause(ctx, !target.writer && NO_WRITER_KEY);
    const result = await test({ ...r2OnTestServer(target.writer, { keyPrefix: 'ct-writer' }), customEndpoint: target.endpoint });
    expect(result).toMatchObject({ ok: false, step: 'READ_BACK', code: 'ACCESS_DENIED', message: 'Upload succeeded but the object could not be read back' });
    expect(await probesLeft('ct-writer/')).toEqual([]);
  });

  it('names permission denied on upload for a read-only key', async (ctx) => {
    skipBecause(ctx, !target.reader && NO_READER_KEY);
    const result = await test(r2OnTestServer(target.reader, { keyPrefix: 'ct-reader' }));
    expect(result).toMatchObject({ ok: false, step: 'UPLOAD', code: 'ACCESS_DENIED' });
    expect(result.message).toMatch(/^Permission denied on upload: this key may not write to bucket/);
  });

  it('names incomplete configuration before touching the network', async () => {
    const result = await test({ bucket: '' });
    expect(result).toEqual({
      ok: false,
      step: 'CONFIGURATION',
      code: 'INCOMPLETE_CONFIGURATION',
      message: 'Incomplete configuration: fill in Bucket.',
      warnings: [],
    });
  });

  it('saves the settings it was given before testing them', async () => {
    await test({ ...r2OnTestServer(), bucket: target.bucket, keyPrefix: 'saved-first' });
    const read = await app.graphql<{ providerSettings: { values: { keyPrefix: string } } }>(
      '{ providerSettings(provider: CLOUDFLARE_R2) { values } }',
      {},
      await app.adminHeaders(),
    );
    expect(read.data?.providerSettings.values.keyPrefix).toBe('saved-first');
  });
});

describe('Test connection against a store that checks nothing', () => {
  const proxy = new TcpProxy(new URL(target.endpoint));
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());

  it('warns that every upload will be read back when the store accepts a body that does not match its checksum', async () => {
    // The proxy answers the checksum probe for the store with 200, as a store that verifies nothing would.
    proxy.inject(/^PUT \S*\.offload-checksum-check-/, { respond: 'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 0\r\n\r\n' });
    const result = await test(r2OnTestServer(target.full, { keyPrefix: 'ct-unverified', customEndpoint: proxy.url }));
    expect(result.ok).toBe(true);
    expect(result.warnings).toContainEqual(expect.stringMatching(/^This store accepted an upload whose bytes did not match the checksum sent with them/));
    expect(await probesLeft('ct-unverified/')).toEqual([]);
  });
});
