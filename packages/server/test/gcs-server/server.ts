// A Google Cloud Storage test server on node:http, faithful where a driver can notice: OAuth2
// JWT-bearer token exchange, IAM roles, the JSON API the SDK uses (uploads of all three kinds,
// reads, lists, deletes), uniform bucket-level access, checksum verification, public and V4-signed
// reads on the XML paths, and fault injection. No emulator can be installed here (fake-gcs-server is
// Go and accepts any credentials; Firebase's is a jar), and fidelity is the point: it must fail
// where GCS fails, with GCS's statuses and bodies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { Accounts, callerOf, type Role, type ServiceAccountKey } from './auth.js';
import { GcsError, transientError } from './errors.js';
import { Faults, RequestLog, type RequestFacts } from './faults.js';
import { drain, parseTarget, readSmallBody, sendError, sendJson, type Ctx } from './http.js';
import { handleJsonApi } from './json-api.js';
import type { Caller } from './objects.js';
import { Store } from './store.js';
import { handleUpload, type UploadSession } from './uploads.js';
import { handleXmlApi, xmlCaller } from './xml-api.js';

export interface GcsServerOptions {
  /** Defaults to 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  buckets?: { name: string; public?: boolean }[];
  /** Where object bytes live; a fresh temporary directory by default (removed on close). */
  dir?: string;
}

export interface GcsServer {
  url: string;
  store: Store;
  accounts: Accounts;
  faults: Faults;
  log: RequestLog;
  createBucket(name: string, isPublic?: boolean): void;
  createAccount(role: Role, buckets?: string[]): Promise<ServiceAccountKey>;
  close(): Promise<void>;
}

type Api = 'token' | 'admin' | 'json' | 'upload' | 'download' | 'xml';

function apiOf(segments: string[]): Api {
  const [first, second, third] = segments;
  if (first === 'token' && segments.length === 1) return 'token';
  if (first === '_emulator') return 'admin';
  if (first === 'storage' && second === 'v1') return 'json';
  if ((first === 'upload' || first === 'download') && second === 'storage' && third === 'v1') return first;
  return 'xml';
}

export async function startGcsServer(options: GcsServerOptions = {}): Promise<GcsServer> {
  const store = new Store(options.dir);
  let url = '';
  const accounts = new Accounts(() => url);
  const faults = new Faults();
  const log = new RequestLog();
  const sessions = new Map<string, UploadSession>();
  const deps = { store, accounts, sessions };

  // Peak RSS, sampled, per measurement mark: lets a test show that a large upload streams to disk
  // instead of into memory, without tests in other files resetting its measurement.
  const peaks = new Map<number, number>();
  let nextMark = 1;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    for (const [mark, peak] of peaks) if (rss > peak) peaks.set(mark, rss);
  }, 20);
  sampler.unref();
  const mark = () => {
    peaks.set(nextMark, process.memoryUsage.rss());
    if (peaks.size > 100) peaks.delete(peaks.keys().next().value!);
    return nextMark++;
  };
  const stats = (at?: number) => {
    const rss = process.memoryUsage.rss();
    return {
      rss,
      peakRss: Math.max(peaks.get(at ?? -1) ?? rss, rss),
      heapUsed: process.memoryUsage().heapUsed,
      requests: log.last,
      uploadSessions: sessions.size,
      objects: [...store.buckets.values()].reduce((n, b) => n + b.objects.size, 0),
    };
  };
  const adminDeps = { store, accounts, faults, log, stats, mark };

  /** Bucket, object and upload type of a request, for fault matching and the log. */
  function factsOf(ctx: Ctx, api: Api): RequestFacts {
    const s = ctx.segments;
    const facts: RequestFacts = { method: ctx.method, url: ctx.url, contentRange: ctx.req.headers['content-range'] };
    if (api === 'json' || api === 'download' || api === 'upload') {
      const at = api === 'json' ? 2 : 3;
      facts.bucket = s[at] === 'b' ? s[at + 1] : undefined;
      facts.object = s[at + 2] === 'o' ? s[at + 3] : undefined;
    }
    if (api === 'upload') {
      const session = sessions.get(ctx.query.get('upload_id') ?? '');
      facts.object = session?.name ?? ctx.query.get('name') ?? undefined;
      facts.uploadType = ctx.query.get('uploadType') ?? (session ? 'resumable' : undefined);
    }
    if (api === 'xml') {
      facts.bucket = s[0] || undefined;
      facts.object = s.length > 1 ? s.slice(1).join('/') : undefined;
    }
    return facts;
  }

  async function dispatch(ctx: Ctx, api: Api): Promise<void> {
    const s = ctx.segments;
    const setCaller = (caller: Caller) => {
      const c = callerOf(caller);
      ctx.caller = c === 'anonymous' ? 'anonymous' : c.email;
      return caller;
    };
    switch (api) {
      case 'token': {
        if (ctx.method !== 'POST') throw new GcsError(405, 'methodNotAllowed', 'Method Not Allowed');
        const answer = accounts.exchange(new URLSearchParams((await readSmallBody(ctx)).toString('utf8')));
        return sendJson(ctx, answer.status, answer.body);
      }
      case 'json':
        return handleJsonApi(ctx, deps, setCaller(accounts.caller(ctx.req.headers.authorization)), s.slice(2));
      case 'download':
        if (s[3] !== 'b' || s[5] !== 'o' || !s[6]) throw new GcsError(404, 'notFound', 'Not Found');
        ctx.query.set('alt', 'media');
        return handleJsonApi(ctx, deps, setCaller(accounts.caller(ctx.req.headers.authorization)), s.slice(3));
      case 'upload': {
        if (s[3] !== 'b' || !s[4] || s[5] !== 'o' || s.length !== 6) throw new GcsError(404, 'notFound', 'Not Found');
        // A session URI is its own credential (GCS does not re-check the token on chunk requests).
        const caller = ctx.query.has('upload_id') ? 'anonymous' : setCaller(accounts.caller(ctx.req.headers.authorization));
        return handleUpload(ctx, deps, caller, s[4]);
      }
      case 'xml':
        return handleXmlApi(ctx, deps, setCaller(xmlCaller(ctx, accounts)));
      default:
        throw new GcsError(404, 'notFound', 'Not Found');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      rawPath: '',
      segments: [],
      query: new URLSearchParams(),
      baseUrl: `http://${req.headers.host ?? new URL(url).host}`,
      facts: { method: req.method ?? 'GET', url: req.url ?? '/' },
      actions: [],
      cut: false,
      bytesIn: 0,
    };
    let api: Api = 'json';
    try {
      Object.assign(ctx, parseTarget(ctx.url));
      api = apiOf(ctx.segments);
      if (api === 'admin') return await handleAdmin(ctx, adminDeps, ctx.segments.slice(1));
      ctx.facts = factsOf(ctx, api);
      ctx.actions = faults.take(ctx.facts);
      res.on('close', () => record(ctx));
      const delay = ctx.actions.find((a) => a.type === 'delay');
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
      const status = ctx.actions.find((a) => a.type === 'status');
      if (status) throw transientError(status.status, ctx.facts.bucket, ctx.facts.object);
      await dispatch(ctx, api);
      if (!ctx.cut) await drain(req);
    } catch (error) {
      await fail(ctx, error, api === 'xml');
    }
  }

  function record(ctx: Ctx): void {
    log.add({
      ...ctx.facts,
      status: ctx.cut || !ctx.res.writableFinished ? 0 : ctx.res.statusCode,
      cut: ctx.cut || !ctx.res.writableFinished,
      bytesIn: ctx.bytesIn,
      range: ctx.res.getHeader('range')?.toString(),
      caller: ctx.caller,
      faults: ctx.actions.map((a) => a.type),
    });
  }

  async function fail(ctx: Ctx, error: unknown, xml: boolean): Promise<void> {
    if (ctx.cut || ctx.req.socket.destroyed) return;
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    if (!(error instanceof GcsError)) console.error('[gcs-test-server]', error);
    const gcsError = error instanceof GcsError ? error : transientError(500, ctx.facts.bucket, ctx.facts.object);
    // Read what the client is still sending, or it may see a reset instead of our answer.
    await drain(ctx.req);
    sendError(ctx, gcsError, xml);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[gcs-test-server]', error);
      res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  for (const bucket of options.buckets ?? []) store.createBucket(bucket.name, bucket.public ?? false);

  return {
    url,
    store,
    accounts,
    faults,
    log,
    createBucket: (name, isPublic = false) => void store.createBucket(name, isPublic),
    createAccount: (role, buckets) => accounts.create({ role, buckets }),
    close: async () => {
      clearInterval(sampler);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
