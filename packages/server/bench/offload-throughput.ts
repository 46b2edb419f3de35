/**
 * Offload throughput: the fixed-seed corpus (200 images of 1–4 MiB + 3 videos of 200 MiB)
 * finalized through the API with Cloudflare R2 (on the S3 test server) as Default Storage, timed
 * from the first finalize to the last OFFLOADED — against, on the same files and server in the
 * same run, the AWS CLI, rclone and a bare lib-storage script. Rounds alternate the uploaders;
 * medians are reported. CPU is read from /proc: the product's process and PostgreSQL's share
 * against each client's own.
 * Usage: pnpm bench (BENCH_ROUNDS, default 3).
 */
import { linkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { deletePrefix, independentS3Client, s3TestTarget } from '../test/s3.js';
import {
  MB,
  corpus,
  cpuOf,
  median,
  postgresCpuMeter,
  round,
  runMeasured,
  s3ServerCpu,
  serverDir,
  startProduct,
  useBucket,
  writeResult,
  type Product,
} from './lib.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const target = s3TestTarget();
const { dir, files, bytes } = corpus();
const s3 = independentS3Client(target);
const runId = Date.now().toString(36);

interface Run {
  seconds: number;
  /** CPU-seconds of the uploader itself (for the product: its server process, API + worker). */
  cpuSeconds: number;
  /** CPU-seconds PostgreSQL spent meanwhile (only the product uses it). */
  postgresCpuSeconds: number;
  /** CPU-seconds the S3 server spent meanwhile (same work for everyone; shown for context). */
  s3ServerCpuSeconds: number;
}

/** Where one uploader's round goes in the bucket (and is deleted from afterwards). */
const prefixOf = (uploader: string, round: number) => `bench-${runId}-${uploader}-${round}`;

/** Everything arrived: every file under the prefix with its size. */
async function verifyUploaded(prefix: string): Promise<void> {
  let count = 0;
  let total = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      count++;
      total += o.Size ?? 0;
    }
    token = page.NextContinuationToken;
  } while (token);
  if (count !== files.length || total !== bytes)
    throw new Error(`${prefix}: the bucket holds ${count} objects / ${total} bytes, expected ${files.length} / ${bytes}`);
}

const product: Product = await startProduct();
const postgresCpu = await postgresCpuMeter(product.databaseUrl);

async function offloadThroughProduct(r: number): Promise<Run> {
  const prefix = prefixOf('offload', r);
  await useBucket(product, target, prefix);
  // The same files, hard-linked into the results disk under a fresh folder (new creatives).
  const folder = `run-${r}`;
  for (const f of files) {
    const to = path.join(product.resultsDir, folder, f.path);
    mkdirSync(path.dirname(to), { recursive: true });
    linkSync(path.join(dir, f.path), to);
  }
  const cpu0 = [cpuOf(product.pid), postgresCpu(), s3ServerCpu()];
  const started = performance.now();
  // The platform finalizes results as they are produced: 8 calls in flight.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < files.length) {
        const f = files[next++]!;
        await product.platform(`mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }`, {
          i: { path: `${folder}/${f.path}`, studio: f.path.endsWith('.mp4') ? 'VIDEO' : 'IMAGE' },
        });
      }
    }),
  );
  for (;;) {
    const counts = await product.platform<{ done: number; failed: number }>(`{ done: creativeCount(status: OFFLOADED) failed: creativeCount(status: FAILED) }`);
    if (counts.failed) throw new Error(`${counts.failed} offloads failed; see ${product.logFile}`);
    if (counts.done - r * files.length === files.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = [cpuOf(product.pid), postgresCpu(), s3ServerCpu()];
  await verifyUploaded(`${prefix}/${folder}`);
  return { seconds, cpuSeconds: cpu1[0]! - cpu0[0]!, postgresCpuSeconds: cpu1[1]! - cpu0[1]!, s3ServerCpuSeconds: cpu1[2]! - cpu0[2]! };
}

const clientEnv: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: target.full.accessKeyId,
  AWS_SECRET_ACCESS_KEY: target.full.secretAccessKey,
  AWS_DEFAULT_REGION: target.region,
};
delete clientEnv.AWS_CA_BUNDLE; // Debian's rclone fails to start while it is set (plain-http endpoint anyway)
delete clientEnv.AWS_PROFILE;

async function external(command: string, args: (prefix: string) => string[], name: string, round: number): Promise<Run> {
  const prefix = prefixOf(name, round);
  const s0 = s3ServerCpu();
  const measured = await runMeasured(command, args(prefix), clientEnv);
  const s1 = s3ServerCpu();
  await verifyUploaded(prefix);
  return { seconds: measured.seconds, cpuSeconds: measured.cpuSeconds, postgresCpuSeconds: 0, s3ServerCpuSeconds: s1 - s0 };
}

const uploaders: Record<string, { label: string; run: (round: number) => Promise<Run> }> = {
  offload: { label: 'Offload (finalize → verified OFFLOADED)', run: offloadThroughProduct },
  awsCli: {
    label: 'AWS CLI `aws s3 cp --recursive` (Debian)',
    run: (r) =>
      external(
        '/usr/bin/aws',
        (p) => [
          's3',
          'cp',
          '--recursive',
          '--only-show-errors',
          '--endpoint-url',
          target.endpoint,
          dir,
          `s3://${target.bucket}/${p}/`,
          '--exclude',
          '.complete',
        ],
        'awsCli',
        r,
      ),
  },
  rclone: {
    label: 'rclone copy (Debian, S3 backend)',
    run: (r) =>
      external(
        '/usr/bin/rclone',
        (p) => [
          'copy',
          dir,
          `:s3:${target.bucket}/${p}`,
          '--config',
          '/dev/null',
          '--s3-provider',
          'Ceph',
          '--s3-endpoint',
          target.endpoint,
          '--s3-access-key-id',
          target.full.accessKeyId,
          '--s3-secret-access-key',
          target.full.secretAccessKey,
          '--s3-region',
          target.region,
          '--exclude',
          '.complete',
        ],
        'rclone',
        r,
      ),
  },
  bareLibStorage: {
    label: 'bare lib-storage script (same concurrency, part size and queue)',
    run: (r) =>
      external(process.execPath, (p) => ['--import', 'tsx', path.join(serverDir, 'bench/bare-upload.ts'), dir, target.bucket, p], 'bareLibStorage', r),
  },
};

const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(uploaders).map((k) => [k, []]));
try {
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no uploader always runs first (cold) or last.
    const order = Object.keys(uploaders)
      .map((_, i, keys) => keys[(i + r) % keys.length]!)
      .filter((name) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(name));
    for (const name of order) {
      const run = await uploaders[name]!.run(r);
      runs[name]!.push(run);
      console.log(
        `round ${r + 1}/${rounds} ${name}: ${round(bytes / MB / run.seconds)} MB/s, ${round(run.seconds, 2)} s, CPU ${round(run.cpuSeconds, 2)} s + ` +
          `PostgreSQL ${round(run.postgresCpuSeconds, 2)} s`,
      );
      await deletePrefix(target, prefixOf(name, r));
    }
  }
} finally {
  await product.stop();
}

const gb = bytes / 1e9;
const summary = Object.fromEntries(
  Object.entries(runs).map(([name, rs]) => {
    const seconds = median(rs.map((x) => x.seconds));
    const own = median(rs.map((x) => x.cpuSeconds));
    const postgres = median(rs.map((x) => x.postgresCpuSeconds));
    return [
      name,
      {
        label: uploaders[name]!.label,
        mbPerSecond: round(bytes / MB / seconds),
        seconds: round(seconds, 2),
        cpuSecondsPerGB: round((own + postgres) / gb, 2),
        ownCpuSecondsPerGB: round(own / gb, 2),
        postgresCpuSecondsPerGB: round(postgres / gb, 2),
        s3ServerCpuSecondsPerGB: round(median(rs.map((x) => x.s3ServerCpuSeconds)) / gb, 2),
        runs: rs.map((x) => ({
          seconds: round(x.seconds, 2),
          cpuSeconds: round(x.cpuSeconds, 2),
          postgresCpuSeconds: round(x.postgresCpuSeconds, 2),
          s3ServerCpuSeconds: round(x.s3ServerCpuSeconds, 2),
        })),
      },
    ];
  }),
) as Record<string, { mbPerSecond: number; cpuSecondsPerGB: number }>;

if (process.env.BENCH_ONLY) process.exit(0); // a tuning run: the per-round lines above are the result
const ours = summary.offload!;
const ratios = {
  vsFasterOfAwsCliAndRclone: round(ours.mbPerSecond / Math.max(summary.awsCli!.mbPerSecond, summary.rclone!.mbPerSecond), 2),
  vsBareLibStorage: round(ours.mbPerSecond / summary.bareLibStorage!.mbPerSecond, 2),
  cpuPerGBvsAwsCli: round(ours.cpuSecondsPerGB / summary.awsCli!.cpuSecondsPerGB, 2),
  cpuPerGBvsRclone: round(ours.cpuSecondsPerGB / summary.rclone!.cpuSecondsPerGB, 2),
  cpuPerGBvsBareLibStorage: round(ours.cpuSecondsPerGB / summary.bareLibStorage!.cpuSecondsPerGB, 2),
};
writeResult('offload-throughput', {
  corpus: { files: files.length, bytes, description: '200 images of 1–4 MiB + 3 videos of 200 MiB, seed 20261125' },
  rounds,
  settings: {
    concurrency: Number(process.env.OFFLOAD_CONCURRENCY ?? 4),
    partSizeMiB: Number(process.env.OFFLOAD_PART_SIZE_MB ?? 8),
    partQueue: Number(process.env.OFFLOAD_PART_QUEUE ?? 2),
  },
  uploaders: summary,
  ratios,
  targets: {
    vsFasterOfAwsCliAndRclone: ratios.vsFasterOfAwsCliAndRclone >= 1.1,
    vsBareLibStorage: ratios.vsBareLibStorage >= 0.9,
    cpuPerGBvsAwsCli: ratios.cpuPerGBvsAwsCli <= 0.8,
  },
});
