/**
 * What every benchmark shares: the product started as users start it (a child process on its
 * own database and data directory), a GraphQL client, CPU accounting from /proc, the fixed-seed
 * corpus and the results files. Benchmarks run only through `pnpm bench`, never in `pnpm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../test/harness.js';
import { createTestDatabase, ensureTestPostgres } from '../test/postgres.js';
import type { S3TestTarget } from '../test/s3.js';

export const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(serverDir, '../..');
export const benchDataDir = path.join(repoRoot, '.data/bench');
const resultsDir = path.join(repoRoot, 'bench/results');

export const MB = 1e6;
export const MiB = 1024 * 1024;
export const ADMIN = { email: 'bench@offload.test', password: 'bench-admin-password' };

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The machine, as reported with every result (these machines are shared and noisy). */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

export function writeResult(name: string, data: Record<string, unknown>): void {
  mkdirSync(resultsDir, { recursive: true });
  const result = { benchmark: name, date: new Date().toISOString(), machine: machine(), ...data };
  writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

// ---- CPU accounting ------------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux

function procStat(pid: number): { ppid: number; comm: string; self: number; children: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields from 3 on: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return { ppid: Number(f[1]), comm, self: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS };
  } catch {
    return null;
  }
}

const allPids = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** CPU-seconds a process has used so far (all its threads). */
export const cpuOf = (pid: number) => procStat(pid)?.self ?? 0;

/**
 * CPU-seconds PostgreSQL has used so far: the postmaster, every live backend, and the backends
 * that already exited (counted in the postmaster's children time).
 */
export async function postgresCpuMeter(databaseUrl: string): Promise<() => number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ setting: string }>(`select setting from pg_settings where name = 'data_directory'`);
  await client.end();
  const postmaster = Number(readFileSync(path.join(rows[0]!.setting, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return () => {
    const main = procStat(postmaster);
    if (!main) return 0;
    let total = main.self + main.children;
    for (const pid of allPids()) {
      const s = procStat(pid);
      if (s?.ppid === postmaster) total += s.self;
    }
    return total;
  };
}

/** CPU-seconds the S3 test server (Ceph RGW, OSD, monitor) has used so far. */
export function s3ServerCpu(): number {
  let total = 0;
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s && /^(radosgw|ceph-osd|ceph-mon)$/.test(s.comm)) total += s.self;
  }
  return total;
}

/** Runs a command to completion; returns its wall time and the CPU-seconds it and its children used. */
export async function runMeasured(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; cpuSeconds: number; output: string }> {
  // bash's `times` reports the CPU its waited-for children used: exact, and it needs nothing installed.
  const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const started = performance.now();
  const child = spawn('bash', ['-c', `${quoted} >"$BENCH_OUT" 2>&1; status=$?; times >&2; exit $status`], {
    env: { ...env, BENCH_OUT: path.join(os.tmpdir(), `offload-bench-${process.pid}.out`) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let times = '';
  child.stderr.on('data', (c: Buffer) => (times += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  const output = readFileSync(path.join(os.tmpdir(), `offload-bench-${process.pid}.out`), 'utf8');
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${output.slice(-2000)}`);
  const [user, sys] = times
    .trim()
    .split('\n')[1]!
    .split(/\s+/)
    .map((t) => {
      const m = /(\d+)m([\d.]+)s/.exec(t)!;
      return Number(m[1]) * 60 + Number(m[2]);
    });
  return { seconds, cpuSeconds: user! + sys!, output };
}

// ---- the product ---------------------------------------------------------------------------

export interface Product {
  url: string;
  pid: number;
  databaseUrl: string;
  dataDir: string;
  resultsDir: string;
  logFile: string;
  /** GraphQL as the signed-in admin. */
  admin<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** GraphQL with a platform token (both scopes). */
  platform<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  platformToken: string;
  stop(): Promise<void>;
}

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${body.errors?.map((e) => e.message).join('; ') ?? res.status}`);
  return body.data;
}

/** A database the caller keeps (the 10 million creatives of the scale benchmarks), with the APP_KEY its settings were sealed with. */
export interface KeptDatabase {
  url: string;
  appKey: string;
}

/**
 * The product as users run it in production (NODE_ENV=production, the compiled `dist/main.js`), on a fresh
 * database of its own (DATABASE_URL's server, or an embedded PostgreSQL) — or on `kept`, left in place — and its own data directory.
 */
export async function startProduct(env: Record<string, string> = {}, kept?: KeptDatabase): Promise<Product> {
  const postgres = await ensureTestPostgres();
  const db = kept ? { url: kept.url, drop: async () => {} } : await createTestDatabase(postgres.url);
  mkdirSync(benchDataDir, { recursive: true });
  const dataDir = path.join(benchDataDir, `product-${Date.now()}`);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dataDir, 'server.log');
  const log = openSync(logFile, 'w');
  // BENCH_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of the product when it stops.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--enable-source-maps', 'dist/main.js'], {
    cwd: serverDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      PORT: String(port),
      PUBLIC_URL: url,
      APP_KEY: kept?.appKey ?? `base64:${randomBytes(32).toString('base64')}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LICENSE_TYPE: 'extended',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  // Migrations on a kept database of 10 million rows (a new index, a backfill) take minutes, as they would in production.
  const deadline = Date.now() + (kept ? 15 * 60_000 : 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the product exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the product did not become healthy in time:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const signIn = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
      variables: { e: ADMIN.email, p: ADMIN.password },
    }),
  });
  const cookie = signIn.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error(`could not sign in: ${await signIn.text()}`);
  const admin: Product['admin'] = (query, variables) => graphql(url, query, variables, { Cookie: cookie });
  const { createApiToken } = await admin<{ createApiToken: { token: string } }>('mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { token } }', {
    i: { name: 'bench platform', scopes: ['CREATIVES_WRITE', 'CREATIVES_READ'] },
  });
  const platformToken = createApiToken.token;
  return {
    url,
    pid: child.pid!,
    databaseUrl: db.url,
    dataDir,
    resultsDir: path.join(dataDir, 'results'),
    logFile,
    admin,
    platform: (query, variables) => graphql(url, query, variables, { Authorization: `Bearer ${platformToken}` }),
    platformToken,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await db.drop();
      await postgres.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Installs and enables Cloudflare R2 on the S3 test server and makes it the Default Storage. */
export async function useBucket(product: Product, target: S3TestTarget, keyPrefix: string): Promise<void> {
  await product.admin(`mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }`).catch(() => undefined); // already installed: fine
  await product.admin(`mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }`, {
    i: {
      accessKeyId: target.full.accessKeyId,
      secretAccessKey: target.full.secretAccessKey,
      bucket: target.bucket,
      customEndpoint: target.endpoint,
      keyPrefix,
      enabled: true,
    },
  });
  await product.admin(`mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }`);
}

// ---- the corpus ----------------------------------------------------------------------------

export interface CorpusFile {
  path: string;
  size: number;
}

/** Deterministic pseudo-random numbers (mulberry32): the same seed gives the same corpus. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Realistic results from a fixed seed: `images` PNG-named files of 1–4 MiB and `videos` MP4-named
 * files of `videoMiB`, incompressible bytes (AES-CTR keystream of the seed). Written once under
 * .data/bench and reused while the seed and shape stay the same.
 */
export function corpus(seed = 20261125, images = 200, videos = 3, videoMiB = 200): { dir: string; files: CorpusFile[]; bytes: number } {
  const random = rng(seed);
  const files: CorpusFile[] = [];
  for (let i = 0; i < images; i++) files.push({ path: `images/${String(i).padStart(4, '0')}.png`, size: Math.floor((1 + 3 * random()) * MiB) });
  for (let i = 0; i < videos; i++) files.push({ path: `videos/${String(i).padStart(2, '0')}.mp4`, size: videoMiB * MiB });
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const id = createHash('sha256').update(JSON.stringify({ seed, files })).digest('hex').slice(0, 12);
  const dir = path.join(benchDataDir, `corpus-${id}`);
  if (!existsSync(path.join(dir, '.complete'))) {
    rmSync(dir, { recursive: true, force: true });
    const key = createHash('sha256').update(`offload-bench-${seed}`).digest();
    const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    const zeros = Buffer.alloc(4 * MiB);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
      const fd = openSync(path.join(dir, f.path), 'w');
      for (let left = f.size; left > 0; left -= zeros.length) writeSync(fd, cipher.update(zeros.subarray(0, Math.min(left, zeros.length))));
      closeSync(fd);
    }
    writeFileSync(path.join(dir, '.complete'), '');
  }
  return { dir, files, bytes };
}
