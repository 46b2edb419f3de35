/**
 * Bulk move throughput: 5,000 results (64 KiB each; MOVE_BENCH_RESULTS and MOVE_BENCH_KB change them) through the
 * product's bulk jobs on the S3 test server — offloaded from the results disk to bucket A, moved
 * A → B with the same key (server-side copies, each read back against its SHA-256), then B → A
 * after B's credentials became another key (streamed: downloaded, checked, uploaded with the
 * store's checksum), each with source deletion. Objects/s and MB/s from the job's start to COMPLETED.
 * Usage: pnpm bench (BENCH_ONLY=move-throughput).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newRgwKey } from '../test/rgw-keys.js';
import { deletePrefix, s3TestTarget, secondBucket, type S3TestKey } from '../test/s3.js';
import { MB, round, startProduct, writeResult, type Product } from './lib.js';

const COUNT = Number(process.env.MOVE_BENCH_RESULTS ?? 5000);
const SIZE = Number(process.env.MOVE_BENCH_KB ?? 64) * 1024;
const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const prefix = `bench-move-${Date.now().toString(36)}`;

async function configure(product: Product, bucket: string, key: S3TestKey) {
  await product.admin('mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }', {
    i: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, bucket, customEndpoint: targetA.endpoint, keyPrefix: prefix, enabled: true },
  });
}

/** Starts a move and waits for it to complete; its results per second and MB/s. */
async function move(product: Product, sourceLocationId: string, targetLocationId: string) {
  const started = performance.now();
  const { moveResults } = await product.admin<{ moveResults: { id: string } }>('mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }', {
    i: { sourceLocationId, targetLocationId, deleteSource: true },
  });
  for (;;) {
    const { bulkJob } = await product.admin<{ bulkJob: { state: string; doneItems: number; doneBytes: number; failedItems: number } }>(
      'query($id: ID!) { bulkJob(id: $id) { state doneItems doneBytes failedItems } }',
      { id: moveResults.id },
    );
    if (bulkJob.state !== 'RUNNING') {
      const seconds = (performance.now() - started) / 1000;
      if (bulkJob.state !== 'COMPLETED' || bulkJob.doneItems !== COUNT) throw new Error(`move ${moveResults.id} ended ${JSON.stringify(bulkJob)}`);
      return { seconds: round(seconds), resultsPerSecond: round(COUNT / seconds), mbPerSecond: round(bulkJob.doneBytes / MB / seconds) };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const rotated = await newRgwKey();
if (!rotated) throw new Error('move-throughput needs the suite’s RGW (radosgw-admin) to make a second key');
const product = await startProduct({ OFFLOAD_CONCURRENCY: '4', LOG_LEVEL: 'warn' });
let result;
try {
  for (let i = 0; i < COUNT; i++) {
    const rel = `images/bench/${String(i).padStart(5, '0')}.png`;
    mkdirSync(path.dirname(path.join(product.resultsDir, rel)), { recursive: true });
    writeFileSync(path.join(product.resultsDir, rel), randomBytes(SIZE));
  }
  // The library, registered as local results (a scan), then offloaded to A with a bulk job.
  await product.admin('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }').catch(() => undefined);
  await configure(product, targetA.bucket, targetA.full);
  const scan = await product.admin<{ scanResultsDisk: { id: string } }>('mutation { scanResultsDisk { id } }');
  for (;;) {
    const { bulkJob } = await product.admin<{ bulkJob: { state: string } }>('query($id: ID!) { bulkJob(id: $id) { state } }', { id: scan.scanResultsDisk.id });
    if (bulkJob.state !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ids = async () => {
    const { storageLocations } = await product.admin<{ storageLocations: { id: string; bucket: string | null }[] }>('{ storageLocations { id bucket } }');
    return { a: storageLocations.find((l) => l.bucket === targetA.bucket)!.id, b: storageLocations.find((l) => l.bucket === targetB.bucket)?.id };
  };
  const offloadExisting = await move(product, '1', (await ids()).a);
  await configure(product, targetB.bucket, targetA.full);
  const { a, b } = await ids();
  const serverSide = await move(product, a, b!);
  // B's credentials become another key: A (retired) keeps the first, so B → A is no longer the same key, and streams.
  await configure(product, targetB.bucket, rotated);
  const streamed = await move(product, b!, a);
  result = {
    results: COUNT,
    bytesPerResult: SIZE,
    offloadExisting,
    serverSideCopy: serverSide,
    streamed,
    serverSideVsStreamed: round(serverSide.resultsPerSecond / streamed.resultsPerSecond, 2),
  };
} finally {
  await product.stop();
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
  await rotated.revoke();
}
writeResult('move-throughput', result!);
console.log(JSON.stringify(result, null, 2));
