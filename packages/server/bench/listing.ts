/**
 * Listing: `creatives(first: 500)` with `url` and `location` over 600 creatives (half offloaded
 * to the bucket, half local), as the platform calls it: median and p95 latency of 30 calls, and
 * the SQL queries one call issues (counted from the product's own query log at debug level, in a
 * second server process, so logging does not slow the timed one).
 * Usage: pnpm bench.
 */
import { linkSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deletePrefix, s3TestTarget } from '../test/s3.js';
import { corpus, median, round, startProduct, useBucket, writeResult, type Product } from './lib.js';

const CALLS = 30;
const LIST = '{ creatives(first: 500) { edges { node { id path location url offloadStatus size } } pageInfo { hasNextPage endCursor } } }';
const target = s3TestTarget();
const { dir, files } = corpus();
const image = path.join(dir, files[0]!.path);

/** 300 local creatives, then 300 more offloaded to the bucket. */
async function seed(product: Product): Promise<void> {
  const finalize = (p: string) =>
    product.platform('mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', { i: { path: p, studio: 'IMAGE' } });
  mkdirSync(path.join(product.resultsDir, 'list'), { recursive: true });
  for (let i = 0; i < 600; i++) linkSync(image, path.join(product.resultsDir, `list/${i}.png`));
  for (let i = 0; i < 300; i++) await finalize(`list/${i}.png`);
  await useBucket(product, target, 'bench-listing');
  for (let i = 300; i < 600; i++) await finalize(`list/${i}.png`);
  for (;;) {
    const { n } = await product.platform<{ n: number }>('{ n: creativeCount(status: OFFLOADED) }');
    if (n === 300) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function list(product: Product): Promise<{ ms: number; count: number }> {
  const started = performance.now();
  const data = await product.platform<{ creatives: { edges: { node: { location: string; url: string } }[] } }>(LIST);
  const ms = performance.now() - started;
  const edges = data.creatives.edges;
  if (edges.length !== 500 || !edges.some((e) => e.node.location === 'CLOUDFLARE_R2') || !edges.some((e) => e.node.location === 'LOCAL'))
    throw new Error('the listing did not return 500 creatives of both kinds');
  return { ms, count: edges.length };
}

// Timed: production logging.
const timed = await startProduct();
let latencies: number[];
try {
  await seed(timed);
  for (let i = 0; i < 5; i++) await list(timed); // warm-up
  latencies = [];
  for (let i = 0; i < CALLS; i++) latencies.push((await list(timed)).ms);
} finally {
  await timed.stop();
  await deletePrefix(target, 'bench-listing');
}

// Counted: the same data set, the query log on.
const counted = await startProduct({ LOG_LEVEL: 'debug' });
let queries: number;
try {
  await seed(counted);
  await list(counted);
  const logged = () =>
    readFileSync(counted.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('[query]')).length;
  const before = logged();
  await list(counted);
  await new Promise((r) => setTimeout(r, 300)); // let the log flush
  queries = logged() - before;
} finally {
  await counted.stop();
  await deletePrefix(target, 'bench-listing');
}

const sorted = [...latencies].sort((a, b) => a - b);
const result = { medianMs: round(median(latencies)), p95Ms: round(sorted[Math.floor(sorted.length * 0.95)]!), sqlQueries: queries, calls: CALLS };
writeResult('listing', {
  query: 'creatives(first: 500) { … location url … } over 300 local + 300 offloaded creatives',
  ...result,
  targets: { sqlQueriesAtMost3: queries <= 3, medianUnder50Ms: result.medianMs < 50 },
});
