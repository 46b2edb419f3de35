/**
 * Peak RSS growth of the product's process while it offloads a single large file (default
 * 2 GiB) through the real finalize → queue → worker path: to the S3 test server (R2 active), then
 * to the suite's GCS test server (Google Cloud Storage active; started here, in this process). RSS
 * is read from /proc every 20 ms; the baseline is the process idle with the provider active, after
 * a warm-up upload. Usage: pnpm bench (OFFLOAD_BENCH_MB to change the size).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startGcsServer } from '../test/gcs-server/server.js';
import { deletePrefix, independentS3Client, s3TestTarget } from '../test/s3.js';
import type { ServiceAccountKey } from '../test/gcs-server/auth.js';
import { MB, MiB, round, startProduct, useBucket, writeResult, type Product } from './lib.js';

const sizeMiB = Number(process.env.OFFLOAD_BENCH_MB ?? 2048);
const target = s3TestTarget();
const prefix = `bench-memory-${Date.now().toString(36)}`;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** A file of `mib` MiB in 8 MiB blocks of varying bytes (not all zeros: no store may shortcut it). */
function writeFile(product: Product, rel: string, mib: number): void {
  mkdirSync(path.dirname(path.join(product.resultsDir, rel)), { recursive: true });
  const fd = openSync(path.join(product.resultsDir, rel), 'w');
  const block = Buffer.alloc(8 * MiB);
  for (let i = 0; i < mib / 8; i++) writeSync(fd, block.fill(i % 251));
  closeSync(fd);
}

async function offload(product: Product, rel: string): Promise<{ status: string; objectKey: string }> {
  const { finalizeCreative } = await product.platform<{ finalizeCreative: { id: string } }>(
    'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }',
    { i: { path: rel, studio: 'VIDEO' } },
  );
  for (;;) {
    const { creative } = await product.platform<{ creative: { offloadStatus: string; objectKey: string } }>(
      'query($id: ID!) { creative(id: $id) { offloadStatus objectKey } }',
      { id: finalizeCreative.id },
    );
    if (creative.offloadStatus === 'OFFLOADED' || creative.offloadStatus === 'FAILED') return { status: creative.offloadStatus, objectKey: creative.objectKey };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Google Cloud Storage on `endpoint` as the Default Storage, with this key. */
async function useGcsBucket(product: Product, place: { endpoint: string; bucket: string; key: ServiceAccountKey }, keyPrefix: string): Promise<void> {
  await product.admin('mutation { installPlugin(key: GOOGLE_CLOUD_STORAGE) { installed } }');
  await product.admin('mutation($i: JSONObject!) { saveProviderSettings(provider: GOOGLE_CLOUD_STORAGE, values: $i) { configured } }', {
    i: { serviceAccountKey: JSON.stringify(place.key), bucket: place.bucket, apiEndpoint: place.endpoint, keyPrefix, enabled: true },
  });
  await product.admin('mutation { setDefaultStorage(storage: GOOGLE_CLOUD_STORAGE) { effective { key } } }');
}

/** Offloads a warm-up file, then the large one, sampling the product's RSS; `stored` asks the store for the object's size. */
async function measure(product: Product, stored: (objectKey: string) => Promise<number | undefined>) {
  // Warm-up: the upload path loaded and its buffers allocated, as in a server that has been running.
  writeFile(product, 'videos/bench/warm-up.mp4', 16);
  await offload(product, 'videos/bench/warm-up.mp4');
  writeFile(product, 'videos/bench/large.mp4', sizeMiB);
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssOf(product.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(product.pid))), 20);
  const started = performance.now();
  const done = await offload(product, 'videos/bench/large.mp4');
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return {
    fileMiB: sizeMiB,
    status: done.status,
    storedBytes: await stored(done.objectKey),
    seconds: round(seconds),
    mbPerSecond: Math.round((sizeMiB * MiB) / MB / seconds),
    rssBaselineMiB: Math.round(baseline / MiB),
    rssPeakMiB: Math.round(peak / MiB),
    rssGrowthMiB: Math.round((peak - baseline) / MiB),
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

const partSizeMiB = Number(process.env.OFFLOAD_PART_SIZE_MB ?? 8);
let s3!: Measured & { partSizeMiB: number; partQueue: number };
const product = await startProduct({ OFFLOAD_CONCURRENCY: '1' });
try {
  await useBucket(product, target, prefix);
  s3 = {
    ...(await measure(
      product,
      async (key) => (await independentS3Client(target).send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }))).ContentLength,
    )),
    partSizeMiB,
    partQueue: Number(process.env.OFFLOAD_PART_QUEUE ?? 2),
  };
} finally {
  await deletePrefix(target, prefix);
  await product.stop();
}

// Google Cloud Storage: resumable uploads in chunks of the part size, the file's MD5 checked by the store.
let gcs!: Measured & { chunkMiB: number };
const gcsServer = await startGcsServer({ buckets: [{ name: 'offload-bench' }] });
const gcsProduct = await startProduct({ OFFLOAD_CONCURRENCY: '1' });
try {
  await useGcsBucket(gcsProduct, { endpoint: gcsServer.url, bucket: 'offload-bench', key: await gcsServer.createAccount('admin') }, prefix);
  gcs = { ...(await measure(gcsProduct, async (key) => gcsServer.store.object('offload-bench', key)?.size)), chunkMiB: partSizeMiB };
} finally {
  await gcsProduct.stop();
  await gcsServer.close();
}

const withinTarget = (r: Measured) => r.status === 'OFFLOADED' && (r.rssGrowthMiB * MiB) / MB <= 100;
writeResult('offload-memory', { ...s3, gcs, targets: { growthAtMost100MB: withinTarget(s3), gcsGrowthAtMost100MB: withinTarget(gcs) } });
if (!withinTarget(s3) || !withinTarget(gcs)) process.exitCode = 1;
