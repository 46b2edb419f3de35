/**
 * The ceiling for our stack: the same files uploaded by a bare script with the SDK our driver
 * uses (lib-storage, the same part size, part queue and number of files in flight), with no
 * database, no hashing, no verification. Usage:
 *   tsx bench/bare-upload.ts <dir> <bucket> <prefix>   (S3_TEST_* and OFFLOAD_* in the environment)
 */
import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const [dir, bucket, prefix] = process.argv.slice(2) as [string, string, string];
const concurrency = Number(process.env.OFFLOAD_CONCURRENCY ?? 4);
const partSize = Number(process.env.OFFLOAD_PART_SIZE_MB ?? 8) * 1024 * 1024;
const queueSize = Number(process.env.OFFLOAD_PART_QUEUE ?? 2);

const client = new S3Client({
  endpoint: process.env.S3_TEST_ENDPOINT,
  region: process.env.S3_TEST_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID!, secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY! },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

const files = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && !e.name.startsWith('.'))
  .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));

let next = 0;
async function lane() {
  while (next < files.length) {
    const file = files[next++]!;
    await new Upload({
      client,
      partSize,
      queueSize,
      params: { Bucket: bucket, Key: `${prefix}/${file}`, Body: createReadStream(path.join(dir, file)) },
    }).done();
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
client.destroy();
