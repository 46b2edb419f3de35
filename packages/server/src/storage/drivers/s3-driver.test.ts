import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipBecause, NO_READER_KEY, NO_WRITER_KEY } from '../../../test/skip.js';
import { s3TestTarget } from '../../../test/s3.js';
import { TcpProxy } from '../../../test/tcp-proxy.js';
import { StorageError } from './errors.js';
import { describeStorageDriverConformance } from './conformance.js';
import { S3Driver, partSizeFor, type S3DriverConfig } from './s3-driver.js';

const target = s3TestTarget();
const config = (overrides: Partial<S3DriverConfig> = {}): S3DriverConfig => ({
  endpoint: target.endpoint,
  region: target.region,
  bucket: target.bucket,
  accessKeyId: target.full.accessKeyId,
  secretAccessKey: target.full.secretAccessKey,
  forcePathStyle: true,
  publicUrl: 'https://media.example.com',
  partSize: 5 * 1024 * 1024,
  ...overrides,
});

// 12 MiB with 5 MiB parts: three parts, the last one short.
describeStorageDriverConformance('S3 (real server)', () => new S3Driver(config()), { multipartSize: 12 * 1024 * 1024, verification: 'store-checksum' });

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof StorageError ? error.code : `not a StorageError: ${String(error)}`;
  }
};
const sources = mkdtempSync(path.join(os.tmpdir(), 'offload-s3-driver-'));
const fileOf = (body: Buffer) => {
  const file = path.join(sources, randomUUID());
  writeFileSync(file, body);
  return file;
};
const put = (driver: S3Driver) => driver.writeFile(`failures/${randomUUID()}.txt`, fileOf(Buffer.from('x')), { contentType: 'text/plain' });

describe('S3 driver uploads', () => {
  const driver = new S3Driver(config());
  it('keep the SHA-256 in the metadata of an object sent in one PUT, the same the driver reports', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const key = `uploads/${randomUUID()}.bin`;
    const written = await driver.writeFile(key, fileOf(body), { contentType: 'application/octet-stream', metadata: { origin: 'test' } });
    const expected = createHash('sha256').update(body).digest('hex');
    expect(written).toEqual({ size: body.length, sha256: expected, verification: 'store-checksum' });
    expect((await driver.stat(key))?.metadata).toEqual({ sha256: expected, origin: 'test' });
    await driver.delete(key);
  });

  it('report the SHA-256 of a multipart upload from the one read of the file, and keep the caller’s metadata', async () => {
    const body = randomBytes(11 * 1024 * 1024);
    const key = `uploads/${randomUUID()}.bin`;
    const written = await driver.writeFile(key, fileOf(body), { contentType: 'application/octet-stream', metadata: { origin: 'test' } });
    expect(written).toEqual({ size: body.length, sha256: createHash('sha256').update(body).digest('hex'), verification: 'store-checksum' });
    expect((await driver.stat(key))?.metadata).toEqual({ origin: 'test' });
    await driver.delete(key);
  });

  it('grows the part size so that a file never needs more than 10,000 parts', () => {
    const GiB = 1024 ** 3;
    expect(partSizeFor(1 * GiB, 8 * 1024 * 1024)).toBe(8 * 1024 * 1024);
    expect(partSizeFor(1 * GiB, 1024)).toBe(5 * 1024 * 1024); // never below S3's 5 MiB minimum
    for (const size of [100 * GiB, 500 * GiB, 5 * 1024 * GiB]) expect(Math.ceil(size / partSizeFor(size, 8 * 1024 * 1024))).toBeLessThanOrEqual(10_000);
  });
});

describe('S3 driver failures, as typed storage errors', () => {
  it('a wrong secret is INVALID_CREDENTIALS', async () => {
    expect(await codeOf(put(new S3Driver(config({ secretAccessKey: 'definitely-not-the-secret-000000000000' }))))).toBe('INVALID_CREDENTIALS');
  });

  it('an unknown access key is INVALID_CREDENTIALS', async () => {
    expect(await codeOf(put(new S3Driver(config({ accessKeyId: 'NOSUCHKEY0000000000' }))))).toBe('INVALID_CREDENTIALS');
  });

  it('an unknown bucket is BUCKET_NOT_FOUND', async () => {
    expect(await codeOf(put(new S3Driver(config({ bucket: `missing-${randomUUID()}` }))))).toBe('BUCKET_NOT_FOUND');
  });

  it('nothing listening at the endpoint is ENDPOINT_UNREACHABLE', async () => {
    expect(await codeOf(put(new S3Driver(config({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }))))).toBe('ENDPOINT_UNREACHABLE');
  });

  it('a read-only key uploading is ACCESS_DENIED', async (ctx) => {
    skipBecause(ctx, !target.reader && NO_READER_KEY);
    expect(await codeOf(put(new S3Driver(config(target.reader))))).toBe('ACCESS_DENIED');
  });

  it('a write-only key reading is ACCESS_DENIED', async (ctx) => {
    skipBecause(ctx, !target.writer && NO_WRITER_KEY);
    const key = `failures/${randomUUID()}.txt`;
    const writer = new S3Driver(config(target.writer));
    await writer.writeFile(key, fileOf(Buffer.from('w')), { contentType: 'text/plain' });
    expect(await codeOf(writer.read(key))).toBe('ACCESS_DENIED');
    await new S3Driver(config()).delete(key);
  });

  it('never puts the secret in an error message', async () => {
    const secret = 'canary-secret-value-0123456789abcdef';
    const error = await put(new S3Driver(config({ secretAccessKey: secret }))).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(JSON.stringify({ message: error?.message, stack: error?.stack })).not.toContain(secret);
  });
});

describe('S3 driver verification: the evidence comes from the store', () => {
  const proxy = new TcpProxy(new URL(target.endpoint));
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());
  const throughProxy = () => new S3Driver(config({ endpoint: proxy.url }));
  /** The proxy answers the driver's checksum probe itself with 200: a store that accepts a body not matching its signed SHA-256. */
  const acceptAnyBody = () => proxy.inject(/^PUT \S*\.offload-checksum-check-/, { respond: 'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 0\r\n\r\n' });

  it('asks the store once whether it refuses a body that does not match its checksum; this store does, so its word is the evidence', async () => {
    const driver = throughProxy();
    for (let i = 0; i < 2; i++)
      expect((await driver.writeFile(`uploads/${randomUUID()}.bin`, fileOf(randomBytes(1000)), { contentType: 'text/plain' })).verification).toBe(
        'store-checksum',
      );
    expect(proxy.requests.filter((line) => line.includes('.offload-checksum-check-'))).toHaveLength(1);
  });

  it('reads every upload back from a store that accepts any body, and records it only when the bytes match', async () => {
    acceptAnyBody();
    const driver = throughProxy();
    const name = randomUUID();
    const body = randomBytes(6 * 1024 * 1024);
    expect(await driver.writeFile(`uploads/${name}.bin`, fileOf(body), { contentType: 'application/octet-stream' })).toEqual({
      size: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      verification: 'read-back',
    });
    expect(proxy.requests.filter((line) => line.startsWith('GET ') && line.includes(name))).toHaveLength(1);
  });

  it('fails a write as CHECKSUM_MISMATCH when the bytes read back differ from the file', async () => {
    acceptAnyBody();
    const driver = throughProxy();
    const name = randomUUID();
    proxy.inject(new RegExp(`^GET \\S*${name}`), { flipResponse: 1234 });
    const error = await driver.writeFile(`uploads/${name}.bin`, fileOf(randomBytes(6 * 1024 * 1024)), { contentType: 'application/octet-stream' }).then(
      () => null,
      (e: StorageError) => e,
    );
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: expect.stringMatching(/^Read back .* expected 6291456 bytes/) });
  });
});
