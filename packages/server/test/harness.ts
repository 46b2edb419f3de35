import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { ensureFirstAdmin } from '../src/auth/auth.service.js';
import { compose, type Runtime } from '../src/app/composition.js';
import { loadConfig, type Config } from '../src/config/config.js';
import type { MikroORM } from '../src/db/orm.js';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/log/logger.js';
import { startOffloadWorker } from '../src/offload/worker.js';
import { createTestDatabase } from './postgres.js';
import { knownS3Secrets } from './s3.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL the suite may create and drop databases on (see global-setup.ts). */
    postgresUrl: string;
  }
}

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The first admin every test app and server process starts with. */
export const TEST_ADMIN = { email: 'admin@offload.test', password: 'correct horse battery staple' };

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** Everything the app logged, as one string, for assertions (e.g. that no secret leaked). */
class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(chunk.toString());
    done();
  }
  get text() {
    return this.lines.join('');
  }
}

export interface TestApp {
  url: string;
  config: Config;
  orm: MikroORM;
  /** The app's composition root: its caches, drivers and per-request services. */
  runtime: Runtime;
  logs: LogCapture;
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Signs the test admin in; returns the headers that carry the session. */
  adminHeaders(): Promise<Record<string, string>>;
  /** Creates an API token with these scopes; returns the headers that carry it. */
  tokenHeaders(scopes: string[]): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** The whole HTTP app in this process, on its own fresh database and data directory. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase(inject('postgresUrl'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'offload-test-'));
  // The offload worker only where a test asks for it (OFFLOAD_WORKER=true): it holds connections.
  // A known port up front, so the URLs the app builds (PUBLIC_URL) are the ones it serves on.
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    OFFLOAD_WORKER: 'false',
    ...env,
  });
  const logs = new LogCapture();
  const logger = createLogger('debug', logs);
  const runtime = await compose({ config, logger, embeddedAllowed: false });
  const { orm } = runtime;
  await ensureFirstAdmin(orm.em.fork(), TEST_ADMIN.email, TEST_ADMIN.password);
  const app = await createApp(runtime);
  const worker = config.offload.inProcess ? await startOffloadWorker(runtime) : undefined;
  const server: Server = await new Promise((resolve) => {
    const s = app.express.listen(port, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${port}`;
  const graphql: TestApp['graphql'] = async (query, variables, headers) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as object) };
  };
  let adminCookie: string | undefined;
  const issuedTokens: string[] = [];
  const adminHeaders = async () => {
    if (!adminCookie) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
          variables: { e: TEST_ADMIN.email, p: TEST_ADMIN.password },
        }),
      });
      const setCookie = res.headers.get('set-cookie');
      if (!setCookie) throw new Error(`test admin could not sign in: ${await res.text()}`);
      adminCookie = setCookie.split(';')[0]!;
    }
    return { Cookie: adminCookie };
  };
  return {
    url,
    config,
    orm,
    runtime,
    logs,
    graphql,
    adminHeaders,
    tokenHeaders: async (scopes) => {
      const res = await graphql<{ createApiToken: { token: string } }>(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }',
        { input: { name: `test ${scopes.join(' ')}`, scopes } },
        await adminHeaders(),
      );
      if (!res.data) throw new Error(`could not create a test token: ${JSON.stringify(res.errors)}`);
      issuedTokens.push(res.data.createApiToken.token);
      return { Authorization: `Bearer ${res.data.createApiToken.token}` };
    },
    stop: async () => {
      // Secrets are write-only everywhere: no log line of any test app may hold one.
      const secrets = [TEST_ADMIN.password, ...issuedTokens, ...knownS3Secrets()];
      const leaked = secrets.filter((secret) => logs.text.includes(secret));
      if (leaked.length) throw new Error(`the log holds ${leaked.length} secret(s), e.g. one starting ${leaked[0]!.slice(0, 4)}…`);
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await worker?.stop();
      await app.stop();
      await runtime.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

export interface ServerProcess {
  url: string;
  dataDir: string;
  /** Its own test database, absent on the embedded one. */
  database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * The product as users start it (the compiled `dist/main.js`), as a child process on its own data
 * directory and port — on a fresh database of its own, or with `embedded: true` on the
 * embedded PostgreSQL it starts itself, exactly as on a machine with nothing installed.
 * Resolves once it prints its URLs.
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  { embedded = false, reuse, entry = 'main' }: { embedded?: boolean; reuse?: ServerProcess; entry?: 'main' | 'worker-main' } = {},
): Promise<ServerProcess> {
  const db = reuse ? reuse.database : embedded ? undefined : await createTestDatabase(inject('postgresUrl'));
  const dataDir = reuse ? reuse.dataDir : mkdtempSync(path.join(os.tmpdir(), 'offload-e2e-'));
  const port = await freePort();
  const { DATABASE_URL: _inherited, ...parentEnv } = process.env;
  // The compiled build, as production runs it (the global setup builds it before any test).
  const child = spawn(process.execPath, ['--enable-source-maps', `dist/${entry}.js`], {
    cwd: serverDir,
    env: {
      ...parentEnv,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      ...(db ? { DATABASE_URL: db.url } : { EMBEDDED_POSTGRES_PORT: String(await freePort()) }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    };
    child.once('exit', onExit);
    child.stdout.on('data', function started() {
      if (!output.includes('Health:')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.off('data', started);
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    database: db,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      // A process started with `reuse` shares its database and folder; whoever stops last cleans up.
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
/** GraphQL against a server process; the data, or the errors thrown. */
export async function processGraphql<T>(
  server: ServerProcess,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** The session cookie of the test admin, signed in to a server process. */
export async function processAdminHeaders(server: ServerProcess): Promise<Record<string, string>> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
      variables: { e: TEST_ADMIN.email, p: TEST_ADMIN.password },
    }),
  });
  return { Cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}

export { skipBecause, NO_PUBLIC_BUCKET, NO_READER_KEY, NO_WRITER_KEY } from './skip.js';
