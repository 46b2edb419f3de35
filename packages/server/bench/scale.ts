/**
 * Ten million creatives in PostgreSQL for the scale benchmarks, seeded once and kept: the database
 * `offload_bench_scale` on DATABASE_URL's server (or the embedded one). Its schema is the app's own
 * (the product starts on it and migrates it; its storage locations are created through the admin
 * API), and a marker row says it is complete, so every later run starts at once. A seed interrupted
 * half-way leaves no marker and is redone. Drop it with `dropdb offload_bench_scale` when done.
 *
 * The rows are a year of a platform's results, oldest first: the first fifth stayed on the results
 * disk (no bucket yet), then Cloudflare R2 in a bucket since retired, a short trial of Amazon S3,
 * and the current R2 bucket; 0.5 % failed offloads and 0.5 % kept local throughout the bucket era,
 * 2,000 queued and 8 uploading at the end; 80 % images of 1–4 MB, 20 % videos of 20–200 MB.
 * Statuses and locations follow the dates, as they do in production (a filter's rows are not spread
 * evenly over time). BENCH_SCALE_ROWS=1000000 seeds fewer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { compose } from '../src/app/composition.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log/logger.js';
import { foldCounts } from '../src/offload/worker.js';
import { ensureTestPostgres } from '../test/postgres.js';
import type { S3TestTarget } from '../test/s3.js';
import { s3PresetOnTestServer } from '../test/storage-fixtures.js';
import { startProduct, useBucket, type KeptDatabase } from './lib.js';

export const SCALE_ROWS = Number(process.env.BENCH_SCALE_ROWS ?? 10_000_000);
const DATABASE = 'offload_bench_scale';
/** Raised whenever the rows the seed writes change, so a kept database is seeded again. */
const SEED_VERSION = 1;
const CHUNK = 500_000;

const databaseUrl = (base: string) => {
  const url = new URL(base);
  url.pathname = `/${DATABASE}`;
  return url.toString();
};

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The kept database when it is complete for this seed; null otherwise. */
async function seeded(url: string): Promise<KeptDatabase | null> {
  try {
    return await withClient(url, async (c) => {
      const { rows } = await c.query<{ app_key: string }>(`select app_key from bench_scale_seed where seed_version = $1 and rows = $2`, [
        SEED_VERSION,
        SCALE_ROWS,
      ]);
      return rows[0] ? { url, appKey: rows[0].app_key } : null;
    });
  } catch {
    return null; // no such database, or no marker: not seeded
  }
}

/**
 * The 10-million-creative database, seeded now if it is not there yet (a few minutes). The counts'
 * pending changes are folded first, as the offload worker does every few seconds in production:
 * the benchmarks' products run without one, and earlier runs' finalizes would otherwise pile up.
 */
export async function scaleDatabase(target: S3TestTarget): Promise<KeptDatabase> {
  const postgres = await ensureTestPostgres();
  const url = databaseUrl(postgres.url);
  const kept = await seeded(url);
  if (kept) {
    await fold(kept);
    console.log(`${DATABASE}: ${SCALE_ROWS.toLocaleString('en')} creatives present`);
    return kept;
  }
  const started = performance.now();
  await withClient(postgres.url, async (c) => {
    await c.query(`drop database if exists ${DATABASE} with (force)`);
    await c.query(`create database ${DATABASE}`);
  });
  const database = { url, appKey: `base64:${randomBytes(32).toString('base64')}` };
  const locations = await createLocations(database, target);
  await seed(url, locations);
  await fold(database);
  await withClient(url, async (c) => {
    await c.query(
      `create table bench_scale_seed (seed_version int not null, rows bigint not null, app_key text not null, seeded_at timestamptz default now())`,
    );
    await c.query(`insert into bench_scale_seed (seed_version, rows, app_key) values ($1, $2, $3)`, [SEED_VERSION, SCALE_ROWS, database.appKey]);
  });
  console.log(`${DATABASE}: seeded ${SCALE_ROWS.toLocaleString('en')} creatives in ${Math.round((performance.now() - started) / 1000)} s`);
  return database;
}

/** Removes creatives a benchmark added (and their queued jobs), so every run starts from the seed. */
export async function forgetCreatives(database: KeptDatabase, ids: string[]): Promise<void> {
  await withClient(database.url, async (c) => {
    await c.query(`select graphile_worker.remove_job(key) from unnest($1::text[]) key`, [ids]);
    await c.query(`delete from creative where id = any($1::uuid[])`, [ids]);
  });
}

/** What a worker's tick does to the counts, with the app's own code. */
async function fold(database: KeptDatabase): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'offload-bench-fold-'));
  const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: database.url, APP_KEY: database.appKey, DATA_DIR: dataDir, OFFLOAD_WORKER: 'false' });
  const runtime = await compose({ config, logger: createLogger('warn'), embeddedAllowed: false });
  try {
    await foldCounts(runtime.scope());
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Locations {
  r2: number;
  r2Retired: number;
  s3: number;
}

/** The app's schema and its storage locations, made by the product itself through the admin API. */
async function createLocations(database: KeptDatabase, target: S3TestTarget): Promise<Locations> {
  const product = await startProduct({ OFFLOAD_WORKER: 'false' }, database);
  try {
    const save = (provider: string, values: Record<string, unknown>) =>
      product.admin(`mutation($i: JSONObject!) { saveProviderSettings(provider: ${provider}, values: $i) { configured } }`, { i: values });
    // An R2 bucket used first and since replaced: a retired location that still holds results.
    await useBucket(product, target, 'bench-scale');
    await save('CLOUDFLARE_R2', { bucket: `${target.bucket}-retired` });
    await save('CLOUDFLARE_R2', { bucket: target.bucket });
    await product.admin(`mutation { installPlugin(key: AMAZON_S3) { installed } }`);
    await save('AMAZON_S3', s3PresetOnTestServer(target, { keyPrefix: 'bench-scale', enabled: true }));
  } finally {
    await product.stop();
  }
  return withClient(database.url, async (c) => {
    const { rows } = await c.query<{ id: number; provider: string; bucket: string }>(`select id, provider, bucket from storage_location order by id`);
    const find = (provider: string, bucket: string) => {
      const row = rows.find((r) => r.provider === provider && r.bucket === bucket);
      if (!row) throw new Error(`no ${provider} location for ${bucket}: ${JSON.stringify(rows)}`);
      return row.id;
    };
    return { r2: find('cloudflare-r2', target.bucket), r2Retired: find('cloudflare-r2', `${target.bucket}-retired`), s3: find('amazon-s3', target.bucket) };
  });
}

/** One chunk of rows [$1, $2) of $3, in one statement: the app's triggers see it as one insert. */
const INSERT = `
  with s as (
    select i, i::float8 / $3 as f, abs(hashint8extended(i, 20261126)) as h, md5(i::text || ':offload-bench-scale')::uuid as id
    from generate_series($1::bigint, $2::bigint - 1) i
  ), t as (
    select s.*, case when h % 100 < 80 then 'IMAGE' else 'VIDEO' end as studio,
      now() - interval '365 days' + f * interval '365 days' as created_at,
      case when i >= $3 - 8 then 'UPLOADING'
           when i >= $3 - 2000 then 'QUEUED'
           when f < 0.20 then 'LOCAL'
           when (h / 100) % 1000 < 5 then 'FAILED'
           when (h / 100) % 1000 < 10 then 'KEPT'
           else 'OFFLOADED' end as status,
      case when f < 0.45 then $5::int when f < 0.47 then $6::int else $4::int end as bucket,
      case when f >= 0.45 and f < 0.47 then 'amazon-s3' else 'cloudflare-r2' end as provider
    from s
  ), r as (
    select t.*, case when studio = 'IMAGE' then 'images/gemini/' || id || '.png' else 'videos/veo/' || id || '.mp4' end as path,
      case when status = 'OFFLOADED' then created_at + (2 + h % 50) * interval '1 second' end as offloaded_at
    from t
  )
  insert into creative (id, path, studio, content_type, metadata, size, sha256, location_id, object_key, target_provider, offload_status, last_error,
    local_copy, offload_attempts, lease_token, lease_expires_at, created_at, updated_at, offloaded_at)
  select id, path, studio, case when studio = 'IMAGE' then 'image/png' else 'video/mp4' end,
    jsonb_build_object('model', case when studio = 'IMAGE' then 'gemini-2.5-flash-image' else 'veo-3' end, 'prompt', 'generated result ' || i),
    case when studio = 'IMAGE' then 1000000 + (h / 1000) % 3000000 else 20000000 + (h / 1000) % 180000000 end,
    case when status = 'OFFLOADED' then md5(path) || md5(id::text) end,
    case when status = 'OFFLOADED' then bucket else 1 end,
    case when status = 'OFFLOADED' then 'bench-scale/' || path end,
    case when status in ('LOCAL', 'KEPT') then null else provider end,
    case when status = 'KEPT' then 'LOCAL' else status end,
    case when status = 'FAILED' then 'The local file ' || path || ' is missing, so it cannot be offloaded.'
         when status = 'KEPT' then 'Cloudflare R2 is no longer configured: kept on this server.' end,
    status <> 'OFFLOADED' or h % 10 < 3,
    case when status = 'FAILED' then 3 when status in ('OFFLOADED', 'UPLOADING') then 1 else 0 end,
    case when status = 'UPLOADING' then gen_random_uuid() end,
    case when status = 'UPLOADING' then now() + interval '10 minutes' end,
    created_at, coalesce(offloaded_at, created_at), offloaded_at
  from r`;

/**
 * Inserts the rows with the table's indexes and constraints set aside (each rebuilt once, sorted,
 * afterwards: minutes instead of an hour of random B-tree inserts), two chunks at a time, with the
 * app's triggers on: the per-location and per-group counts are kept by the same triggers production
 * runs. Then VACUUM ANALYZE, as autovacuum would have done over a year.
 */
async function seed(url: string, locations: Locations): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const { rows: constraints } = await pool.query<{ name: string; type: string; def: string; index: string | null }>(
      `select conname as name, contype as type, pg_get_constraintdef(oid) as def, case when contype in ('p', 'u') then pg_get_indexdef(conindid) end as index
       from pg_constraint where conrelid = 'creative'::regclass and contype in ('p', 'u', 'f')`,
    );
    const { rows: indexes } = await pool.query<{ name: string; def: string }>(
      `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index
       where indrelid = 'creative'::regclass and indexrelid not in (select conindid from pg_constraint where conrelid = 'creative'::regclass)`,
    );
    const { rows: referencing } = await pool.query(`select conname from pg_constraint where confrelid = 'creative'::regclass`);
    if (referencing.length) throw new Error(`the seed cannot set aside creative's primary key: ${JSON.stringify(referencing)} reference it`);
    for (const c of constraints) await pool.query(`alter table creative drop constraint ${c.name}`);
    for (const i of indexes) await pool.query(`drop index ${i.name}`);

    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < SCALE_ROWS) {
        const lo = next;
        const hi = (next = Math.min(next + CHUNK, SCALE_ROWS));
        await pool.query(INSERT, [lo, hi, SCALE_ROWS, locations.r2, locations.r2Retired, locations.s3]);
        done += hi - lo;
        process.stdout.write(`\r  inserted ${done.toLocaleString('en')} creatives`);
      }
    };
    await Promise.all([worker(), worker()]);
    process.stdout.write('\n');

    const builds = [...constraints.flatMap((c) => (c.index ? [c.index] : [])), ...indexes.map((i) => i.def)];
    const build = async () => {
      for (let def = builds.shift(); def; def = builds.shift()) {
        const client = await pool.connect();
        try {
          await client.query(`set maintenance_work_mem = '1GB'`);
          await client.query(def);
        } finally {
          client.release();
        }
      }
    };
    await Promise.all([build(), build()]);
    for (const c of constraints.filter((c) => c.type !== 'f'))
      await pool.query(`alter table creative add constraint ${c.name} ${c.type === 'p' ? 'primary key' : 'unique'} using index ${c.name}`);
    for (const c of constraints.filter((c) => c.type === 'f')) {
      await pool.query(`alter table creative add constraint ${c.name} ${c.def} not valid`);
      await pool.query(`alter table creative validate constraint ${c.name}`);
    }
    console.log('  indexes and constraints rebuilt');
    await pool.query(`vacuum (analyze) creative`);
    await pool.query(`analyze`);
  } finally {
    await pool.end();
  }
}
