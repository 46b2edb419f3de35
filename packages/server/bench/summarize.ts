/**
 * Regenerates the results section of BENCHMARKS.md from bench/results/*.json (between the
 * results markers; the rest of the file is written by hand).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the result files are our own JSON */
const load = (name: string): any => {
  const file = path.join(repoRoot, 'bench/results', `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
const met = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'yes' : '**no**');

const lines: string[] = [];
const throughput = load('offload-throughput');
const finalize = load('finalize-load');
const listing = load('listing');
const memory = load('offload-memory');
const bundle = load('admin-bundle');
const scaleAdmin = load('scale-admin');
const fixedRate = load('finalize-fixed-rate');
const moves = load('move-throughput');
const all = [throughput, finalize, listing, memory, bundle, scaleAdmin, fixedRate, moves];
const machine = all.find(Boolean)?.machine ?? 'unknown';
const millions = (n: number) => `${n / 1e6} M`;
lines.push(
  `Latest run: ${all
    .filter(Boolean)
    .map((r) => r.date.slice(0, 16).replace('T', ' '))
    .sort()
    .at(-1)} UTC on ${machine}.`,
  '',
);

lines.push('| Measure | Result | Target | Met |', '|---|---|---|---|');
if (throughput) {
  const u = throughput.uploaders;
  const r = throughput.ratios;
  lines.push(
    `| Offload throughput vs the faster of AWS CLI and rclone | ${r.vsFasterOfAwsCliAndRclone} × (${u.offload.mbPerSecond} MB/s) | ≥ 1.1 | ` +
      `${met(throughput.targets.vsFasterOfAwsCliAndRclone)} |`,
  );
  lines.push(`| Offload throughput vs bare lib-storage | ${r.vsBareLibStorage} × | ≥ 0.9 | ${met(throughput.targets.vsBareLibStorage)} |`);
  lines.push(
    `| Offload CPU-s/GB (ours + PostgreSQL) vs AWS CLI | ${r.cpuPerGBvsAwsCli} × (${u.offload.cpuSecondsPerGB} vs ${u.awsCli.cpuSecondsPerGB}) | ≤ 0.8 ` +
      `| ${met(throughput.targets.cpuPerGBvsAwsCli)} |`,
  );
}
if (finalize) {
  lines.push(
    `| Finalize req/s vs trivial query, 32 clients | ${finalize.ratios.finalizeVsTrivialQuery} × (${finalize.finalizeImage.requestsPerSecond} vs ` +
      `${finalize.trivialQuery.requestsPerSecond}) | ≥ 0.4 | ${met(finalize.targets.finalizeVsTrivialQuery)} |`,
  );
  lines.push(
    `| Finalize p99, 32 clients (image / video) | ${finalize.finalizeImage.p99Ms} / ${finalize.finalizeVideo.p99Ms} ms | < 50 ms | ` +
      `${met(finalize.targets.p99Under50Ms)} |`,
  );
}
if (listing) {
  lines.push(`| Listing 500: SQL queries | ${listing.sqlQueries} | ≤ 3 | ${met(listing.targets.sqlQueriesAtMost3)} |`);
  lines.push(`| Listing 500: median latency | ${listing.medianMs} ms (p95 ${listing.p95Ms}) | < 50 ms | ${met(listing.targets.medianUnder50Ms)} |`);
}
if (memory)
  lines.push(
    `| RSS growth offloading a ${Math.round(memory.fileMiB / 1024)} GiB file | ${memory.rssGrowthMiB} MiB (${memory.mbPerSecond} MB/s) | ≤ 100 MB | ` +
      `${met(memory.targets?.growthAtMost100MB)} |`,
    ...(memory.gcs
      ? [
          `| RSS growth offloading the same file to Google Cloud Storage (the suite's GCS server) | ${memory.gcs.rssGrowthMiB} MiB ` +
            `(${memory.gcs.mbPerSecond} MB/s) | ≤ 100 MB | ${met(memory.targets?.gcsGrowthAtMost100MB)} |`,
        ]
      : []),
  );
if (bundle) lines.push(`| Admin first screen, JS gzip | ${bundle.firstScreenJsGzipKB} kB | ≤ 250 kB | ${met(bundle.targets.under250KB)} |`);
if (scaleAdmin)
  lines.push(
    `| Every admin call at ${millions(scaleAdmin.creatives)} creatives (${scaleAdmin.calls.length} calls), slowest median | ${scaleAdmin.slowest.medianMs} ms ` +
      `(${scaleAdmin.slowest.name}) | < 100 ms | ${met(scaleAdmin.targets.everyCallUnder100Ms)} |`,
  );
if (fixedRate)
  lines.push(
    `| Finalize p99 at ${fixedRate.ratePerSecond} req/s (open loop), ${millions(fixedRate.creatives)} creatives, every request of ` +
      `${fixedRate.rounds} rounds | ${fixedRate.p99Ms} ms (p50 ${fixedRate.p50Ms}, max ${fixedRate.maxMs}) | < 25 ms | ${met(fixedRate.targets.p99Under25Ms)} |`,
  );

if (throughput) {
  lines.push(
    '',
    `### Offload throughput (${throughput.corpus.files} files, ${(throughput.corpus.bytes / 1e9).toFixed(2)} GB: ${throughput.corpus.description}; ` +
      `median of ${throughput.rounds} rounds)`,
    '',
  );
  lines.push('| Uploader | MB/s | CPU-s/GB total | own | PostgreSQL | S3 server (context) |', '|---|---|---|---|---|---|');
  for (const u of Object.values<any>(throughput.uploaders)) {
    lines.push(
      `| ${u.label} | ${u.mbPerSecond} | ${u.cpuSecondsPerGB} | ${u.ownCpuSecondsPerGB} | ${u.postgresCpuSecondsPerGB} | ${u.s3ServerCpuSecondsPerGB} |`,
    );
  }
  lines.push(
    '',
    `Offload settings: ${throughput.settings.concurrency} files at a time, ${throughput.settings.partSizeMiB} MiB parts, ` +
      `${throughput.settings.partQueue} parts in flight per file (the bare script uses the same).`,
  );
}
if (finalize) {
  lines.push('', `### Finalize under load (${finalize.connections} connections, ${finalize.secondsPerRun} s runs, median of ${finalize.rounds})`, '');
  lines.push('| Request | req/s | p50 ms | p99 ms | CPU-ms/request (server + PostgreSQL) | errors |', '|---|---|---|---|---|---|');
  for (const [label, r] of [
    ['`{ __typename }` (ceiling)', finalize.trivialQuery],
    ['finalizeCreative, 1.9 MB image', finalize.finalizeImage],
    ['finalizeCreative, 210 MB video', finalize.finalizeVideo],
  ] as const) {
    lines.push(`| ${label} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMsPerRequest} | ${r.errors} |`);
  }
}
if (scaleAdmin) {
  const media = scaleAdmin.calls.filter((c: any) => c.name.startsWith('Media'));
  const slowestMedia = media.reduce((a: any, b: any) => (b.medianMs > a.medianMs ? b : a));
  lines.push('', `### Admin calls with ${millions(scaleAdmin.creatives)} creatives (median of ${scaleAdmin.rounds} calls each, after a warm-up call)`, '');
  lines.push('| Call | median ms | slowest ms |', '|---|---|---|');
  for (const c of scaleAdmin.calls.filter((c: any) => !c.name.startsWith('Media'))) lines.push(`| ${c.name} | ${c.medianMs} | ${c.maxMs} |`);
  lines.push(
    `| Media, ${media.length} calls: first page of ${scaleAdmin.page} + count for every location × status × studio filter, and the next page where there is one ` +
      `| ${scaleAdmin.media.medianOfMediansMs} (median of medians) | ${Math.max(...media.map((c: any) => c.maxMs))} |`,
  );
  lines.push(`| Slowest media call: ${slowestMedia.name} | ${slowestMedia.medianMs} | ${slowestMedia.maxMs} |`);
}
if (fixedRate) {
  lines.push(
    '',
    `### Finalize at a fixed rate (${fixedRate.ratePerSecond} req/s open loop, ${fixedRate.secondsPerRound} s rounds, ${millions(fixedRate.creatives)} creatives present)`,
    '',
  );
  lines.push(
    '| Round | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU-ms/request (server + PostgreSQL) | other processes on the cores | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  fixedRate.runs.forEach((r: any, i: number) =>
    lines.push(
      `| ${i + 1} | ${r.achievedPerSecond} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.p999Ms} | ${r.maxMs} | ${r.cpuMsPerRequest} | ${r.otherLoadPercent} % | ${r.errors} |`,
    ),
  );
  if (fixedRate.requests)
    lines.push(
      `| all ${fixedRate.requests.toLocaleString('en')} requests | ${fixedRate.ratePerSecond} | ${fixedRate.p50Ms} | | ${fixedRate.p99Ms} | ${fixedRate.p999Ms} | ` +
        `${fixedRate.maxMs} | ${fixedRate.cpuMsPerRequest} | | ${fixedRate.errors} |`,
    );
}

if (moves) {
  lines.push(
    '',
    `### Bulk moves (${moves.results.toLocaleString('en-US')} results of ${Math.round(moves.bytesPerResult / 1024)} KiB, with source deletion, job start to COMPLETED)`,
    '',
  );
  lines.push('| Move | results/s | MB/s | seconds |', '|---|---|---|---|');
  for (const [label, r] of [
    ['Offload existing: results disk → bucket A (streamed up, the store checks each body)', moves.offloadExisting],
    ['A → B, same store and key: server-side copy, each read back against its SHA-256', moves.serverSideCopy],
    ['B → A, another key: streamed (downloaded, checked, uploaded)', moves.streamed],
  ] as const) {
    lines.push(`| ${label} | ${r.resultsPerSecond} | ${r.mbPerSecond} | ${r.seconds} |`);
  }
}

const file = path.join(repoRoot, 'BENCHMARKS.md');
const doc = readFileSync(file, 'utf8');
const start = '<!-- results:start -->';
const end = '<!-- results:end -->';
if (!doc.includes(start) || !doc.includes(end)) throw new Error(`BENCHMARKS.md lacks the ${start} … ${end} markers`);
writeFileSync(file, `${doc.slice(0, doc.indexOf(start) + start.length)}\n${lines.join('\n')}\n${doc.slice(doc.indexOf(end))}`);
console.log(lines.join('\n'));
