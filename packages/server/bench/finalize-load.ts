/**
 * Finalize under load: `finalizeCreative` with Cloudflare R2 (on the S3 test server) as Default
 * Storage, 32 concurrent platform clients (autocannon), against a trivial query on the same
 * server in the same run — the ceiling of the HTTP + GraphQL stack. Every request finalizes a
 * new path; one set of paths are 1–4 MB images, the other 200 MB videos (finalize must not
 * depend on the file's size). The API runs without the in-process worker, so the uploads the
 * finalizes queue do not compete for the two cores; they are measured by offload-throughput.
 * Usage: pnpm bench (BENCH_SECONDS per run, default 8; BENCH_ROUNDS, default 3).
 */
import { copyFileSync, linkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { s3TestTarget } from '../test/s3.js';
import { corpus, cpuOf, median, postgresCpuMeter, round, startProduct, useBucket, writeResult } from './lib.js';

const connections = 32;
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const PATHS_PER_SET = 30_000;

const product = await startProduct({ OFFLOAD_WORKER: 'false' });
const postgresCpu = await postgresCpuMeter(product.databaseUrl);
const FINALIZE = 'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id offloadStatus } }';

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  cpuMsPerRequest: number;
  serverCpuMsPerRequest: number;
}

async function load(name: string, body: () => string, headers: Record<string, string>): Promise<Run> {
  const server0 = cpuOf(product.pid);
  const cpu0 = server0 + postgresCpu();
  const result = await autocannon({
    url: `${product.url}/graphql`,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const server1 = cpuOf(product.pid);
  const cpu = server1 + postgresCpu() - cpu0;
  const run = {
    requestsPerSecond: round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.non2xx + result.timeouts,
    cpuMsPerRequest: round((cpu * 1000) / result.requests.total, 2),
    serverCpuMsPerRequest: round(((server1 - server0) * 1000) / result.requests.total, 2),
  };
  console.log(
    `${name}: ${run.requestsPerSecond} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.errors} errors, ${run.cpuMsPerRequest} CPU-ms/request ` +
      `(server ${run.serverCpuMsPerRequest} + PostgreSQL)`,
  );
  return run;
}

/** Paths that exist on the results disk, hard links to a copy of one corpus file (a file takes at most 65,000 links); each used once. */
function pathsTo(source: string, set: string, extension: string): () => string {
  const dir = path.join(product.resultsDir, set);
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, `source${extension}`);
  copyFileSync(source, copy);
  for (let i = 0; i < PATHS_PER_SET; i++) linkSync(copy, path.join(dir, `${i}${extension}`));
  let next = 0;
  return () => {
    if (next >= PATHS_PER_SET) throw new Error(`more than ${PATHS_PER_SET} finalizes in one run: raise PATHS_PER_SET`);
    return `${set}/${next++}${extension}`;
  };
}

const runs: Record<'trivialQuery' | 'finalizeImage' | 'finalizeVideo', Run[]> = { trivialQuery: [], finalizeImage: [], finalizeVideo: [] };
let finalized = 0;
try {
  await useBucket(product, s3TestTarget(), 'bench-finalize');
  const { dir, files } = corpus();
  const image = files.find((f) => f.path.endsWith('.png'))!;
  const video = files.find((f) => f.path.endsWith('.mp4'))!;
  const platform = { authorization: `Bearer ${product.platformToken}` };
  const trivial = JSON.stringify({ query: '{ __typename }' });

  // A production server is warm: JIT-compiled paths, open pools.
  await load('warm-up: trivial query', () => trivial, {});
  const warm = pathsTo(path.join(dir, image.path), 'load-warm-up', '.png');
  finalized += (await load('warm-up: finalize', () => JSON.stringify({ query: FINALIZE, variables: { i: { path: warm(), studio: 'IMAGE' } } }), platform))
    .requests;
  for (let r = 0; r < rounds; r++) {
    const images = pathsTo(path.join(dir, image.path), `load-images-${r}`, '.png');
    const videos = pathsTo(path.join(dir, video.path), `load-videos-${r}`, '.mp4');
    runs.trivialQuery.push(await load(`round ${r + 1} trivial query`, () => trivial, {}));
    const img = await load(
      `round ${r + 1} finalize (image, ${round(image.size / 1e6)} MB)`,
      () => JSON.stringify({ query: FINALIZE, variables: { i: { path: images(), studio: 'IMAGE' } } }),
      platform,
    );
    const vid = await load(
      `round ${r + 1} finalize (video, ${round(video.size / 1e6)} MB)`,
      () => JSON.stringify({ query: FINALIZE, variables: { i: { path: videos(), studio: 'VIDEO' } } }),
      platform,
    );
    runs.finalizeImage.push(img);
    runs.finalizeVideo.push(vid);
    finalized += img.requests + vid.requests;
  }
  // Every answered finalize recorded a creative queued for the bucket (a GraphQL error would
  // answer 200 too); requests still in flight when a run's clock stopped may add a few more.
  const { queued } = await product.platform<{ queued: number }>('{ queued: creativeCount(status: QUEUED) }', {});
  if (queued < finalized || queued > finalized + (2 * rounds + 1) * connections)
    throw new Error(`${finalized} finalizes answered, but ${queued} creatives are queued`);
} finally {
  await product.stop();
}

const summary = (rs: Run[]) => ({
  requestsPerSecond: median(rs.map((r) => r.requestsPerSecond)),
  p50Ms: median(rs.map((r) => r.p50Ms)),
  p99Ms: median(rs.map((r) => r.p99Ms)),
  cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
  errors: rs.reduce((n, r) => n + r.errors, 0),
  runs: rs,
});
const trivialQuery = summary(runs.trivialQuery);
const finalizeImage = summary(runs.finalizeImage);
const finalizeVideo = summary(runs.finalizeVideo);
const ratio = round(finalizeImage.requestsPerSecond / trivialQuery.requestsPerSecond, 2);
writeResult('finalize-load', {
  connections,
  secondsPerRun: seconds,
  rounds,
  trivialQuery,
  finalizeImage,
  finalizeVideo,
  ratios: { finalizeVsTrivialQuery: ratio, videoVsImageP50: round(finalizeVideo.p50Ms / finalizeImage.p50Ms, 2) },
  targets: { finalizeVsTrivialQuery: ratio >= 0.4, p99Under50Ms: finalizeImage.p99Ms < 50 && finalizeVideo.p99Ms < 50 },
});
