import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { skipBecause, NO_READER_KEY, NO_WRITER_KEY } from './skip.js';
import { independentS3Client, s3TestTarget } from './s3.js';

// The storage tests are only as strong as the server they run against: prove it checks
// signatures and per-key permissions, as R2 and S3 do, so a pass means something.
const target = s3TestTarget();
const key = `suite-check/${randomUUID()}.txt`;

const errorName = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return (error as Error).name;
  }
};

describe('the S3 test server', () => {
  it('stores and returns an object for the full-access key', async () => {
    const s3 = independentS3Client(target);
    await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'hello', ContentType: 'text/plain' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe('hello');
    await s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
  });

  it('rejects a request signed with the wrong secret', async () => {
    const s3 = independentS3Client(target, { accessKeyId: target.full.accessKeyId, secretAccessKey: 'wrong-secret-0000000000000000000000000' });
    expect(await errorName(s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'x' })))).toBe('SignatureDoesNotMatch');
  });

  it('lets the write-only key upload but not read back', async (ctx) => {
    skipBecause(ctx, !target.writer && NO_WRITER_KEY);
    const s3 = independentS3Client(target, target.writer);
    await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'w' }));
    expect(await errorName(s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key })))).toBe('AccessDenied');
    await independentS3Client(target).send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
  });

  it('refuses uploads from the read-only key', async (ctx) => {
    skipBecause(ctx, !target.reader && NO_READER_KEY);
    const s3 = independentS3Client(target, target.reader);
    expect(await errorName(s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'r' })))).toBe('AccessDenied');
  });
});
