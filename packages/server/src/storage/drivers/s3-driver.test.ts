import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { s3TestTarget } from '../../../test/s3.js';
import { StorageError } from '../errors.js';
import { describeStorageDriverConformance } from './conformance.js';
import { S3Driver, type S3DriverConfig } from './s3-driver.js';

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
describeStorageDriverConformance('S3 (real server)', () => new S3Driver(config()), { multipartSize: 12 * 1024 * 1024 });

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof StorageError ? error.code : `not a StorageError: ${String(error)}`;
  }
};
const put = (driver: S3Driver) => driver.write(`failures/${randomUUID()}.txt`, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });

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

  it.skipIf(!target.reader)('a read-only key uploading is ACCESS_DENIED', async () => {
    expect(await codeOf(put(new S3Driver(config(target.reader))))).toBe('ACCESS_DENIED');
  });

  it.skipIf(!target.writer)('a write-only key reading is ACCESS_DENIED', async () => {
    const key = `failures/${randomUUID()}.txt`;
    const writer = new S3Driver(config(target.writer));
    await writer.write(key, Readable.from([Buffer.from('w')]), { contentType: 'text/plain' });
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
