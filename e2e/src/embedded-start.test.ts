import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startServerProcess, TEST_ADMIN } from '@offload/server/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'offload-start-'));
const running: ChildProcess[] = [];

/**
 * `pnpm start` exactly as a person runs it on a machine with nothing but Node (no DATABASE_URL,
 * no APP_KEY), in a process group of its own like a terminal's foreground job, so that a Ctrl-C
 * reaches every process in it. Resolves once it prints its URLs.
 */
async function pnpmStart(port: number, pgPort: number): Promise<{ child: ChildProcess; output: () => string }> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn('pnpm', ['start'], {
    cwd: root,
    detached: true,
    env: {
      ...env,
      DATA_DIR: dataDir,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pnpm start did not start in 120 s:\n${output}`)), 120_000);
    const check = setInterval(() => {
      if (output.includes('Health:')) resolve();
      else if (child.exitCode !== null) reject(new Error(`pnpm start exited with ${child.exitCode}:\n${output}`));
      else return;
      clearTimeout(timer);
      clearInterval(check);
    }, 100);
  });
  return { child, output: () => output };
}

/** What a person's Ctrl-C does: SIGINT to every process of the foreground job. */
async function ctrlC(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  // The job's other processes (the server under pnpm) finish their shutdown after pnpm itself.
  await expect.poll(() => existsSync(path.join(dataDir, 'postgres/postmaster.pid')), { timeout: 30_000 }).toBe(false);
}

async function graphql<T>(port: number, query: string, headers: Record<string, string> = {}): Promise<{ data?: T; errors?: unknown[]; cookie: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { ...((await res.json()) as { data?: T; errors?: unknown[] }), cookie: res.headers.get('set-cookie') };
}

/** Log lines at error level or above (pino: 50 error, 60 fatal). */
const errorLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

afterAll(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('pnpm start on embedded defaults, and Ctrl-C', () => {
  it('runs its own PostgreSQL, stops cleanly on Ctrl-C with no error logged, and a restart finds the data intact', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const first = await pnpmStart(port, pgPort);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', database: { ok: true } });
    expect(existsSync(path.join(dataDir, 'postgres/PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'app-key'))).toBe(true);

    // Something to find again: a platform token (kept as a hash in the database).
    const signIn = await graphql(port, `mutation { signIn(email: "${TEST_ADMIN.email}", password: "${TEST_ADMIN.password}") { id } }`);
    const cookie = signIn.cookie!.split(';')[0]!;
    const created = await graphql<{ createApiToken: { token: string } }>(
      port,
      'mutation { createApiToken(input: { name: "platform", scopes: [CREATIVES_READ] }) { token } }',
      { Cookie: cookie },
    );
    const token = created.data!.createApiToken.token;

    await ctrlC(first.child);
    expect(first.output()).toContain('"msg":"shutting down"');
    expect(first.output()).toContain('"msg":"stopped"');
    expect(errorLines(first.output())).toEqual([]);
    expect(first.output()).not.toMatch(/terminating connection|connection lost/);

    const second = await pnpmStart(port, pgPort);
    const res = await graphql<{ creativeCount: number }>(port, '{ creativeCount }', { Authorization: `Bearer ${token}` });
    expect(res).toMatchObject({ data: { creativeCount: 0 } });
    await ctrlC(second.child);
    expect(errorLines(second.output())).toEqual([]);
  });
});

describe('after Offload is killed (SIGKILL, the OOM killer)', () => {
  it('the next start stops the embedded PostgreSQL the killed one left running, and starts on the same data', async () => {
    const first = await startServerProcess({}, { embedded: true });
    const pidFile = path.join(first.dataDir, 'postgres/postmaster.pid');
    const postgresPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const killed = new Promise((resolve) => first.process.once('exit', resolve));
    first.process.kill('SIGKILL');
    await killed;
    // Its PostgreSQL, in a process group of its own, outlives it and holds the data directory.
    expect(() => process.kill(postgresPid, 0)).not.toThrow();

    const second = await startServerProcess({}, { embedded: true, reuse: first });
    try {
      expect(second.output()).toContain('stopping the embedded PostgreSQL a previous Offload left running when it was killed');
      expect(() => process.kill(postgresPid, 0)).toThrow();
      const health = await (await fetch(`${second.url}/healthz`)).json();
      expect(health).toMatchObject({ status: 'ok', database: { ok: true } });
    } finally {
      await second.stop();
    }
    expect(existsSync(pidFile)).toBe(false);
  });
});
