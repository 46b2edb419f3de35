/**
 * Every admin call with 10 million creatives present (bench/scale.ts), through the production server
 * over HTTP with the admin's session and the admin's own query documents: the overview, the storage
 * locations, the other screens' queries, and the media view's first and second page (with its count)
 * for every combination of the filters it offers — location × status × studio, each with "All" — and
 * the Tools screen with the dry runs of its jobs (whole locations, a studio, a folder, a date range:
 * exact from the counts, or estimated from a sample where an exact count would read millions of rows).
 * Median and slowest of ROUNDS calls per call, after one warm-up call each; target: every median
 * under 100 ms.
 * Usage: pnpm bench (BENCH_ONLY=scale-admin; BENCH_SCALE_ROWS to seed fewer).
 */
import { print } from 'graphql';
import { OFFLOAD_STATUSES, STORAGE_KEYS, graphqlEnumName, type StorageKey } from '@offload/types';
import {
  ApiTokensDocument,
  GeneralSettingsDocument,
  MeDocument,
  MediaDocument,
  OverviewDocument,
  PlanMoveResultsDocument,
  PlanRemoveLocalCopiesDocument,
  PlanVerifyStoredObjectsDocument,
  PluginsDocument,
  StorageLocationsDocument,
  ToolsDocument,
  type MediaQuery,
} from '@offload/types/graphql';
import { s3TestTarget } from '../test/s3.js';
import { median, round, startProduct, writeResult } from './lib.js';
import { SCALE_ROWS, scaleDatabase } from './scale.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PAGE = 24; // the media view's page
const TARGET_MS = 100;

interface Call {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

const database = await scaleDatabase(s3TestTarget());
// No worker: the seeded queue has no files behind it, and nothing should change the rows while they are measured.
const product = await startProduct({ OFFLOAD_WORKER: 'false' }, database);

const screens: Call[] = [
  { name: 'Overview', query: print(OverviewDocument) },
  { name: 'StorageLocations', query: print(StorageLocationsDocument) },
  { name: 'GeneralSettings', query: print(GeneralSettingsDocument) },
  { name: 'Plugins', query: print(PluginsDocument) },
  { name: 'ApiTokens', query: print(ApiTokensDocument) },
  { name: 'Me', query: print(MeDocument) },
  { name: 'Tools', query: print(ToolsDocument) },
];
const locations: (string | null)[] = [null, ...STORAGE_KEYS.map((k) => graphqlEnumName(k as StorageKey))];
const statuses: (string | null)[] = [null, ...OFFLOAD_STATUSES];
const studios: (string | null)[] = [null, 'IMAGE', 'VIDEO'];
const media = print(MediaDocument);
const mediaCalls: { filters: Record<string, string | null>; label: string }[] = [];
for (const location of locations)
  for (const status of statuses)
    for (const studio of studios)
      mediaCalls.push({
        filters: { location, status, studio },
        label: [location ?? 'any location', status ?? 'any status', studio ?? 'any studio'].join(', '),
      });

const time = async (call: Call) => {
  const started = performance.now();
  const data = await product.admin(call.query, call.variables);
  return { ms: performance.now() - started, data };
};

interface Measured {
  name: string;
  medianMs: number;
  maxMs: number;
  count?: number;
  estimated?: boolean;
}

async function measure(call: Call): Promise<Measured & { data: unknown }> {
  const { data } = await time(call); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) ms.push((await time(call)).ms);
  return { name: call.name, medianMs: round(median(ms)), maxMs: round(Math.max(...ms)), data };
}

const results: Measured[] = [];
try {
  for (const call of screens) {
    const { data: _, ...m } = await measure(call);
    results.push(m);
    console.log(`${m.name}: ${m.medianMs} ms (slowest ${m.maxMs})`);
  }
  let total = 0;
  for (const { filters, label } of mediaCalls) {
    const first = await measure({ name: `Media: ${label}`, query: media, variables: { first: PAGE, ...filters } });
    const page = (first.data as MediaQuery).creatives;
    const count = (first.data as MediaQuery).creativeCount;
    if (filters.location === null && filters.status === null && filters.studio === null) total = count;
    results.push({ name: first.name, medianMs: first.medianMs, maxMs: first.maxMs, count });
    let line = `${first.name}: ${first.medianMs} ms (slowest ${first.maxMs}), ${count.toLocaleString('en')} creatives`;
    if (page.pageInfo.hasNextPage) {
      const next = await measure({ name: `Media, next page: ${label}`, query: media, variables: { first: PAGE, after: page.pageInfo.endCursor, ...filters } });
      results.push({ name: next.name, medianMs: next.medianMs, maxMs: next.maxMs });
      line += `; next page ${next.medianMs} ms (slowest ${next.maxMs})`;
    }
    console.log(line);
  }
  if (total < SCALE_ROWS) throw new Error(`only ${total} creatives counted; the seed holds ${SCALE_ROWS}`);

  // The Tools screen's dry runs, as its forms ask them: the results disk and the current bucket.
  const { storageLocations } = (await product.admin('{ storageLocations { id current provider } }')) as {
    storageLocations: { id: string; current: boolean; provider: string | null }[];
  };
  const bucket = storageLocations.find((l) => l.current && l.provider === 'CLOUDFLARE_R2')!.id;
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const move = (label: string, input: Record<string, unknown>): Call => ({
    name: `Dry run: ${label}`,
    query: print(PlanMoveResultsDocument),
    variables: { input },
  });
  const dryRuns: Call[] = [
    move('offload existing (the results disk → the bucket)', { sourceLocationId: '1', targetLocationId: bucket }),
    move('download back (the bucket → the results disk)', { sourceLocationId: bucket, targetLocationId: '1' }),
    move('the bucket → the disk, videos', { sourceLocationId: bucket, targetLocationId: '1', filter: { studio: 'VIDEO' } }),
    move('the bucket → the disk, folder images/gemini', { sourceLocationId: bucket, targetLocationId: '1', filter: { pathPrefix: 'images/gemini' } }),
    move('the bucket → the disk, the last 30 days', { sourceLocationId: bucket, targetLocationId: '1', filter: { createdAfter: monthAgo } }),
    // Few or none: counted exactly, through the (location, path) index and the created_at index.
    move('the bucket → the disk, folder images/none (empty)', { sourceLocationId: bucket, targetLocationId: '1', filter: { pathPrefix: 'images/none' } }),
    move('the bucket → the disk, the last hour', { sourceLocationId: bucket, targetLocationId: '1', filter: { createdAfter: hourAgo } }),
    { name: 'Dry run: verify the bucket', query: print(PlanVerifyStoredObjectsDocument), variables: { input: { locationId: bucket } } },
    { name: 'Dry run: verify a sample of 1,000', query: print(PlanVerifyStoredObjectsDocument), variables: { input: { locationId: bucket, sample: 1000 } } },
    { name: 'Dry run: remove local copies', query: print(PlanRemoveLocalCopiesDocument), variables: { input: { locationId: bucket } } },
  ];
  for (const call of dryRuns) {
    const { data, ...m } = await measure(call);
    const plan = Object.values(data as Record<string, { items: number; estimated: boolean }>)[0]!;
    results.push({ ...m, count: plan.items, estimated: plan.estimated });
    console.log(`${m.name}: ${m.medianMs} ms (slowest ${m.maxMs}), ${plan.estimated ? 'about ' : ''}${plan.items.toLocaleString('en')} results`);
  }
} finally {
  await product.stop();
}

const slowest = results.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
const media24 = results.filter((r) => r.name.startsWith('Media'));
writeResult('scale-admin', {
  creatives: SCALE_ROWS,
  rounds: ROUNDS,
  page: PAGE,
  overviewMs: results.find((r) => r.name === 'Overview')!.medianMs,
  storageLocationsMs: results.find((r) => r.name === 'StorageLocations')!.medianMs,
  media: {
    calls: media24.length,
    medianOfMediansMs: round(median(media24.map((r) => r.medianMs))),
    slowestMedianMs: Math.max(...media24.map((r) => r.medianMs)),
  },
  slowest: { name: slowest.name, medianMs: slowest.medianMs, maxMs: slowest.maxMs },
  calls: results,
  targets: { everyCallUnder100Ms: results.every((r) => r.medianMs < TARGET_MS) },
});
