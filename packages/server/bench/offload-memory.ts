/**
 * Peak RSS growth of one process while it offloads a single large file (default 2 GiB) to the
 * S3 test server, through the real finalize → queue → worker path.
 * Usage: pnpm bench (or OFFLOAD_BENCH_MB=2048 tsx bench/offload-memory.ts with S3_TEST_* set).
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { loadAppKeys } from '../src/config/app-key.js';
import { loadConfig } from '../src/config/config.js';
import { Creative } from '../src/creatives/creative.entity.js';
import { CreativeService } from '../src/creatives/creative.service.js';
import { openDatabase } from '../src/db/orm.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/offload/metrics.js';
import { startOffloadWorker } from '../src/offload/worker.js';
import { SettingsCipher } from '../src/storage/settings-cipher.js';
import { StorageSettingsService } from '../src/storage/storage-settings.service.js';
import { ensureTestPostgres, createTestDatabase } from '../test/postgres.js';
import { independentS3Client, s3TestTarget } from '../test/s3.js';
import { writeResult } from './lib.js';

const MiB = 1024 * 1024;
const sizeMb = Number(process.env.OFFLOAD_BENCH_MB ?? 2048);

const target = s3TestTarget();
const postgres = await ensureTestPostgres();
const db = await createTestDatabase(postgres.url);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'offload-bench-'));
const tuning = Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'OFFLOAD_PART_SIZE_MB' || k === 'OFFLOAD_PART_QUEUE')) as Record<string, string>;
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, DATA_DIR: dataDir, LICENSE_TYPE: 'extended', OFFLOAD_CONCURRENCY: '1', LOG_LEVEL: 'warn', ...tuning });
const logger = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn');
const keys = loadAppKeys(config);
const cipher = new SettingsCipher(keys);
const orm = await openDatabase(db.url, logger);

// The file, written in 8 MiB blocks of varying bytes (not all zeros: no store may shortcut it).
const rel = `videos/bench/${Date.now()}.mp4`;
mkdirSync(path.dirname(path.join(config.resultsDir, rel)), { recursive: true });
const fd = openSync(path.join(config.resultsDir, rel), 'w');
const block = Buffer.alloc(8 * MiB);
for (let i = 0; i < (sizeMb * MiB) / block.length; i++) {
  block.fill(i % 251);
  writeSync(fd, block);
}
closeSync(fd);

const settings = new StorageSettingsService(orm.em.fork(), cipher, config.license);
await settings.installPlugin('cloudflare-r2');
await settings.saveProvider('cloudflare-r2', {
  accessKeyId: target.full.accessKeyId,
  secretAccessKey: target.full.secretAccessKey,
  bucket: target.bucket,
  customEndpoint: target.endpoint,
  keyPrefix: 'bench',
  enabled: true,
});
await settings.setDefaultStorage('cloudflare-r2');

// Baseline: the worker running and idle; growth is what offloading the file adds.
const worker = await startOffloadWorker({ orm, cipher, config, logger, metrics: createMetrics(orm) }, db.url);
await new Promise((r) => setTimeout(r, 500));
global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const started = performance.now();
const creative = await new CreativeService(orm.em.fork(), new StorageSettingsService(orm.em.fork(), cipher, config.license), config).finalize({ path: rel, studio: 'VIDEO' });
let done: Creative | null = null;
while (!done) {
  const row = await orm.em.fork().findOneOrFail(Creative, { id: creative.id });
  if (row.offloadStatus === 'OFFLOADED' || row.offloadStatus === 'FAILED') done = row;
  else await new Promise((r) => setTimeout(r, 100));
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);

const head = await independentS3Client(target).send(new HeadObjectCommand({ Bucket: target.bucket, Key: done.objectKey ?? `bench/${rel}` }));
const result = {
  fileMiB: sizeMb,
  status: done.offloadStatus,
  storedBytes: head.ContentLength,
  seconds: Math.round(seconds * 10) / 10,
  mbPerSecond: Math.round((sizeMb * MiB) / 1e6 / seconds),
  partSizeMiB: config.offload.partSizeBytes / MiB,
  partQueue: config.offload.partQueueSize,
  rssBaselineMiB: Math.round(baseline / MiB),
  rssPeakMiB: Math.round(peak / MiB),
  rssGrowthMiB: Math.round((peak - baseline) / MiB),
};
writeResult('offload-memory', { ...result, targets: { growthAtMost100MB: result.rssGrowthMiB * 1.048576 <= 100 } });

await independentS3Client(target).send(new DeleteObjectCommand({ Bucket: target.bucket, Key: done.objectKey! }));
await worker.stop();
await orm.close();
await db.drop();
await postgres.stop();
rmSync(dataDir, { recursive: true, force: true });
if (done.offloadStatus !== 'OFFLOADED' || result.rssGrowthMiB > 100) process.exitCode = 1;
