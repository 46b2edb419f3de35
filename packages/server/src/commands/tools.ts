import { parseArgs } from 'node:util';
import { BULK_DONE_WORDS, LOCAL_STORAGE, STUDIOS, type ProviderKey } from '@offload/types';
import { compose, configFromEnvironment, type Runtime } from '../app/composition.js';
import { BulkJobsService, moveRequest, progressOf, type BulkRequest } from '../bulk/bulk-jobs.service.js';
import type { BulkFilter, BulkJobRow } from '../bulk/bulk-job.repository.js';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import { createLogger } from '../log/logger.js';
import { LOCAL_LOCATION_ID } from '../storage/storage-locations.service.js';
import { differences, referenced } from '../bulk/orphans.js';

const USAGE = `Offload tools: move results between storage locations, as the admin's Tools screen does.

  pnpm offload-tools locations                       where results live: id, place, results, bytes
  pnpm offload-tools offload-existing [filters]      results on this server → the active bucket
  pnpm offload-tools download-back --from <id>       a bucket's results → this server
  pnpm offload-tools move --from <id> --to <id>      between any two locations ("local" is this server, "active" the Default Storage's bucket)
  pnpm offload-tools remove-local --from <id>        delete local copies of a bucket's results, each once its object reads back as recorded
  pnpm offload-tools verify --from <id> [--sample N] read stored objects back against their recorded SHA-256; repair from local copies
  pnpm offload-tools scan                            register the results on this server's disk that were never finalized (an existing library)
  pnpm offload-tools orphans --from <id> [--delete]  objects in a bucket no result references, and results whose object is missing;
                                                     lists them (and the bucket's usage); --delete removes the orphans older than --older-than hours (24)
  pnpm offload-tools jobs                            running, paused and recent jobs, with their progress
  pnpm offload-tools job <id> [--watch]              one job, its progress and failures
  pnpm offload-tools pause|resume|cancel|retry <id>  pause, resume, cancel a job, or retry its failed results

Options of offload-existing, download-back and move:
  --delete-source          delete each source copy once its copy is verified and recorded
  --studio IMAGE|VIDEO     only results of this studio
  --folder <path>          only results under this folder (images/gemini)
  --created-after <date>   only results finalized at or after this time (2026-11-01)
  --created-before <date>  only results finalized before this time
  --sample <n>             verify: at most n results, from a random place (a daily sample)
  --dry-run                say how many results and bytes it would take, and start nothing
  --watch                  follow the job's progress until it finishes (Ctrl-C stops watching, not the job)

Jobs run in Offload's workers, behind new results; this command starts and steers them.`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  'delete-source': { type: 'boolean', default: false },
  studio: { type: 'string' },
  folder: { type: 'string' },
  'created-after': { type: 'string' },
  'created-before': { type: 'string' },
  sample: { type: 'string' },
  delete: { type: 'boolean', default: false },
  'older-than': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  watch: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const MB = 1e6;
const size = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= MB ? `${(bytes / MB).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
const count = (n: number) => n.toLocaleString('en-US');
const clock = (seconds: number) => {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s).padStart(2, '0')}`;
};

/** One line: the same numbers the admin's progress bar shows. */
export function progressLine(job: BulkJobRow, labels: { source: string; target: string | null }): string {
  const p = progressOf(job);
  const about = job.plannedEstimated ? 'about ' : '';
  return [
    `Job ${job.id} ${job.state}`,
    labels.target ? `${labels.source} → ${labels.target}` : `${KIND_WORDS[job.kind]} ${labels.source}`,
    `${count(job.doneItems)} ${BULK_DONE_WORDS[job.kind]} of ${about}${count(job.plannedItems)} results (${p.percent}%)`,
    `${size(job.doneBytes)} of ${about}${size(job.plannedBytes)}`,
    ...(job.skippedItems ? [`${count(job.skippedItems)} skipped`] : []),
    ...(job.failedItems ? [`${count(job.failedItems)} failed`] : []),
    ...(p.bytesPerSecond ? [`${size(p.bytesPerSecond)}/s`] : []),
    ...(p.etaSeconds !== null ? [`ETA ${clock(p.etaSeconds)}`] : []),
  ].join(' · ');
}

const KIND_WORDS: Record<BulkJobRow['kind'], string> = { MOVE: 'move', REMOVE_LOCAL: 'remove local copies of', VERIFY: 'verify', SCAN: 'scan' };

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, id] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = configFromEnvironment();
  // Warnings (a generated APP_KEY, say) go to stderr, readable: stdout is the command's answer.
  const runtime = await compose({ config, logger: createLogger('warn', process.stderr, 'pretty'), embeddedAllowed: true, attachToEmbedded: true });
  try {
    return await run(runtime, command, id, values);
  } finally {
    await runtime.close();
  }
}

async function run(runtime: Runtime, command: string, id: string | undefined, values: Values): Promise<number> {
  const scope = runtime.scope();
  const bulk = new BulkJobsService(scope, runtime.config.resultsDir);
  const label = async (locationId: number) => {
    const location = await scope.locations.require(locationId);
    return location.id === LOCAL_LOCATION_ID ? 'local' : `${location.provider} ${location.bucket} (#${location.id})`;
  };
  const show = async (job: BulkJobRow) =>
    progressLine(job, { source: await label(job.sourceLocationId), target: job.targetLocationId === null ? null : await label(job.targetLocationId) });
  const needId = () => {
    if (!id) throw new UsageError(`${command} needs a job id: pnpm offload-tools ${command} <id>`);
    return id;
  };

  switch (command) {
    case 'locations': {
      for (const location of await scope.locations.list()) {
        const usage = await scope.locations.usageOf(location.id);
        const place =
          location.id === LOCAL_LOCATION_ID ? 'local (this server)' : `${location.provider} ${location.bucket}${location.current ? '' : ' (retired)'}`;
        console.log(`${String(location.id).padStart(4)}  ${place}  ${count(usage?.results ?? 0)} results, ${size(usage?.bytes ?? 0)}`);
      }
      return 0;
    }
    case 'offload-existing':
    case 'download-back':
    case 'move':
    case 'remove-local':
    case 'verify':
    case 'scan': {
      const request = await requestOf(runtime, command, values);
      if (values['dry-run']) {
        const plan = await bulk.plan(request);
        const verb = { MOVE: 'would move', REMOVE_LOCAL: 'of local copies would be deleted', VERIFY: 'would be read back', SCAN: 'would be registered' }[
          request.kind
        ];
        const where =
          request.targetLocationId === null
            ? `in ${await label(request.sourceLocationId)}`
            : `from ${await label(request.sourceLocationId)} to ${await label(request.targetLocationId)}`;
        console.log(`${plan.estimated ? 'About ' : ''}${count(plan.items)} results, ${size(plan.bytes)} ${verb} ${where}.`);
        return 0;
      }
      const job = await bulk.start(request, 'command line');
      console.log(await show(job));
      return values.watch ? watch(bulk, job.id, show) : 0;
    }
    case 'orphans':
      return orphans(runtime, await locationOf(runtime, 'from', values.from), values);
    case 'jobs': {
      const jobs = await bulk.list(50);
      if (!jobs.length) console.log('No bulk jobs yet.');
      for (const job of jobs) console.log(await show(job));
      return 0;
    }
    case 'job': {
      const job = await bulk.get(needId());
      console.log(await show(job));
      for (const failure of await bulk.failures(job.id, 20)) console.log(`  failed: ${failure.path ?? failure.creativeId}: ${failure.error}`);
      return values.watch ? watch(bulk, job.id, show) : 0;
    }
    case 'pause':
      console.log(await show(await bulk.pause(needId())));
      return 0;
    case 'resume':
      console.log(await show(await bulk.resume(needId())));
      return 0;
    case 'cancel':
      console.log(await show(await bulk.cancel(needId())));
      return 0;
    case 'retry':
      console.log(await show(await bulk.retryFailures(needId())));
      return 0;
    default:
      throw new UsageError(`Unknown command "${command}". Run pnpm offload-tools --help.`);
  }
}

/**
 * Lists what differs between a bucket location and its results — objects no result references
 * (orphans) and results whose object is missing — with the bucket's usage; with --delete, removes
 * the orphans older than --older-than hours (default 24: an upload still in flight writes its
 * object before its result records it), each checked again just before. Mastodon's
 * `tootctl media remove-orphans` and `usage`, for one bucket.
 */
async function orphans(runtime: Runtime, locationId: number, values: Values): Promise<number> {
  const scope = runtime.scope();
  const location = await scope.locations.require(locationId);
  if (location.id === LOCAL_LOCATION_ID) throw new UsageError('--from must be a bucket location: orphans are objects in a bucket');
  const hours = values['older-than'] === undefined ? 24 : Number(values['older-than']);
  if (!Number.isFinite(hours) || hours < 0) throw new UsageError(`--older-than must be a number of hours; got "${values['older-than']}"`);
  const settings = scope.locations.settingsOf(location, 'read');
  const driver = runtime.drivers.for(location.provider as ProviderKey, settings);
  const prefix = settings.keyPrefix ? `${settings.keyPrefix}/` : '';
  const cutoff = Date.now() - hours * 3600_000;
  const found = { orphans: 0, orphanBytes: 0, old: 0, oldBytes: 0, missing: 0, deleted: 0, deletedBytes: 0 };
  const usage = await scope.locations.usageOf(location.id);
  for await (const difference of differences(scope.em, location.id, driver, prefix)) {
    if (difference.kind === 'missing') {
      found.missing++;
      console.log(`missing  ${difference.key}  (result ${difference.creativeId})`);
      continue;
    }
    found.orphans++;
    found.orphanBytes += difference.size;
    const old = difference.lastModified !== undefined && difference.lastModified.getTime() < cutoff;
    console.log(`orphan   ${difference.key}  ${size(difference.size)}  ${difference.lastModified?.toISOString() ?? 'time unknown'}`);
    if (!old) continue;
    found.old++;
    found.oldBytes += difference.size;
    if (values.delete && !(await referenced(scope.em, location.id, difference.key))) {
      await driver.delete(difference.key);
      found.deleted++;
      found.deletedBytes += difference.size;
    }
  }
  console.log(
    `Bucket ${location.bucket} (#${location.id})${prefix ? ` under ${prefix}` : ''}: ${count(usage?.results ?? 0)} results recorded (${size(usage?.bytes ?? 0)}); ` +
      `${count(found.orphans)} objects (${size(found.orphanBytes)}) no result references, ${count(found.old)} of them older than ${hours} h ` +
      `(${size(found.oldBytes)}); ${count(found.missing)} results whose object is missing.`,
  );
  console.log(
    values.delete
      ? `Deleted ${count(found.deleted)} orphans (${size(found.deletedBytes)}).`
      : 'Nothing was deleted: run again with --delete to remove the orphans older than the cut-off.',
  );
  return 0;
}

/** Prints the job's progress as it changes until it is no longer running; 1 when results failed. */
async function watch(bulk: BulkJobsService, id: string, show: (job: BulkJobRow) => Promise<string>): Promise<number> {
  let last = '';
  let idleSince = Date.now();
  for (;;) {
    const job = await bulk.get(id);
    const line = await show(job);
    if (line !== last) {
      console.log(line);
      last = line;
      idleSince = Date.now();
    } else if (Date.now() - idleSince > 30_000 && job.state === 'RUNNING') {
      console.log('No progress for 30 s: is an Offload worker running (pnpm start, or pnpm worker)?');
      idleSince = Date.now();
    }
    if (job.state !== 'RUNNING') return job.failedItems ? 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** A location named on the command line: an id, "local", or "active" (the Default Storage's current bucket). */
async function locationOf(runtime: Runtime, flag: 'from' | 'to', value: string | undefined): Promise<number> {
  if (!value) throw new UsageError(`--${flag} is required: a location id (pnpm offload-tools locations), "local" or "active"`);
  if (value === 'local') return LOCAL_LOCATION_ID;
  if (value === 'active') {
    const scope = runtime.scope();
    const { effective } = await scope.storageSettings.defaultStorage();
    if (effective === LOCAL_STORAGE) throw new UsageError(`--${flag} active: the Default Storage is this server, not a bucket; give a location id`);
    const state = await scope.storageSettings.provider(effective as ProviderKey);
    return (await scope.locations.uploadTarget(state.key, state.settings)).id;
  }
  if (!/^[1-9]\d{0,9}$/.test(value))
    throw new UsageError(`--${flag} must be a location id (pnpm offload-tools locations), "local" or "active"; got "${value}"`);
  return Number(value);
}

/** The request a job command asks for. */
async function requestOf(runtime: Runtime, command: string, values: Values): Promise<BulkRequest> {
  const filter = filterOf(values);
  if (command === 'scan') return { kind: 'SCAN', sourceLocationId: LOCAL_LOCATION_ID, targetLocationId: null, deleteSource: false, filter: {}, sample: null };
  if (command === 'remove-local' || command === 'verify') {
    const sample = values.sample === undefined ? null : Number(values.sample);
    if (sample !== null && (command !== 'verify' || !Number.isInteger(sample) || sample < 1)) {
      throw new UsageError(command === 'verify' ? `--sample must be a whole number of results; got "${values.sample}"` : '--sample is for verify');
    }
    const sourceLocationId = await locationOf(runtime, 'from', values.from);
    return { kind: command === 'verify' ? 'VERIFY' : 'REMOVE_LOCAL', sourceLocationId, targetLocationId: null, deleteSource: false, filter, sample };
  }
  const defaults = command === 'offload-existing' ? { from: 'local', to: 'active' } : command === 'download-back' ? { to: 'local' } : {};
  return moveRequest({
    sourceLocationId: await locationOf(runtime, 'from', values.from ?? defaults.from),
    targetLocationId: await locationOf(runtime, 'to', values.to ?? defaults.to),
    deleteSource: values['delete-source'],
    filter,
  });
}

function filterOf(values: Values): BulkFilter {
  const studio = values.studio?.toUpperCase();
  if (studio && !(STUDIOS as readonly string[]).includes(studio)) throw new UsageError(`--studio must be ${STUDIOS.join(' or ')}; got "${values.studio}"`);
  return {
    ...(studio ? { studio: studio as BulkFilter['studio'] } : {}),
    ...(values.folder ? { pathPrefix: values.folder } : {}),
    ...(values['created-after'] ? { createdAfter: values['created-after'] } : {}),
    ...(values['created-before'] ? { createdBefore: values['created-before'] } : {}),
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Input and state problems are the operator's to fix: their message, no stack.
    const known = error instanceof UsageError || error instanceof InvalidInputError || error instanceof NotFoundError || error instanceof RefusedError;
    console.error(known ? (error as Error).message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
