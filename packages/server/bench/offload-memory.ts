/**
 * Peak RSS growth of the product's process while it offloads a single large file (default
 * 2 GiB) to the S3 test server, through the real finalize → queue → worker path. RSS is read
 * from /proc every 20 ms; the baseline is the process idle with R2 active, after a warm-up upload.
 * Usage: pnpm bench (OFFLOAD_BENCH_MB to change the size).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { deletePrefix, independentS3Client, s3TestTarget } from '../test/s3.js';
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

const product = await startProduct({ OFFLOAD_CONCURRENCY: '1' });
let result;
try {
  await useBucket(product, target, prefix);
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
  const head = await independentS3Client(target).send(new HeadObjectCommand({ Bucket: target.bucket, Key: done.objectKey }));
  result = {
    fileMiB: sizeMiB,
    status: done.status,
    storedBytes: head.ContentLength,
    seconds: round(seconds),
    mbPerSecond: Math.round((sizeMiB * MiB) / MB / seconds),
    partSizeMiB: Number(process.env.OFFLOAD_PART_SIZE_MB ?? 8),
    partQueue: Number(process.env.OFFLOAD_PART_QUEUE ?? 2),
    rssBaselineMiB: Math.round(baseline / MiB),
    rssPeakMiB: Math.round(peak / MiB),
    rssGrowthMiB: Math.round((peak - baseline) / MiB),
  };
} finally {
  await deletePrefix(target, prefix);
  await product.stop();
}
writeResult('offload-memory', { ...result, targets: { growthAtMost100MB: (result.rssGrowthMiB * MiB) / MB <= 100 } });
if (result.status !== 'OFFLOADED' || (result.rssGrowthMiB * MiB) / MB > 100) process.exitCode = 1;
