// The test-only admin API under /_emulator (no authentication): set up buckets and service
// accounts, reach behind the driver's back (read raw bytes, plant corruption, delete an object),
// inject faults and read the request log. test/gcs.ts wraps it for tests in other processes.
import { createReadStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { Accounts } from './auth.js';
import { ROLES, type Role } from './auth.js';
import type { Faults, FaultSpec, RequestLog } from './faults.js';
import { readJsonBody, rawBody, sendEmpty, sendJson, type Ctx } from './http.js';
import { hashFile, Hashes, writeContent, type ObjectRecord, type Store } from './store.js';

export interface AdminDeps {
  store: Store;
  accounts: Accounts;
  faults: Faults;
  log: RequestLog;
  /** Server figures; with a mark, peakRss is the peak since that mark was set. */
  stats: (mark?: number) => Record<string, number>;
  /** Starts a peak-RSS measurement of its own (tests in parallel files do not reset each other's). */
  mark: () => number;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function handleAdmin(ctx: Ctx, deps: AdminDeps, rest: string[]): Promise<void> {
  try {
    await route(ctx, deps, rest);
  } catch (error) {
    const status = error instanceof AdminError ? error.status : 400;
    sendJson(ctx, status, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function route(ctx: Ctx, deps: AdminDeps, rest: string[]): Promise<void> {
  const [area, ...args] = rest;
  const m = ctx.method;
  if (area === 'health' && m === 'GET') return sendJson(ctx, 200, { ok: true });
  if (area === 'buckets') return buckets(ctx, deps, m, args);
  if (area === 'accounts') return accounts(ctx, deps, m, args);
  if (area === 'objects') return objects(ctx, deps, m, args);
  if (area === 'faults') return faults(ctx, deps, m, args);
  if (area === 'requests' && m === 'GET') {
    const q = ctx.query;
    const filter = { since: Number(q.get('since') ?? 0), bucket: q.get('bucket') ?? undefined, object: q.get('object') ?? undefined };
    return sendJson(ctx, 200, { last: deps.log.last, entries: deps.log.query(filter) });
  }
  if (area === 'stats' && m === 'GET') return sendJson(ctx, 200, deps.stats(ctx.query.has('mark') ? Number(ctx.query.get('mark')) : undefined));
  if (area === 'stats' && args[0] === 'mark' && m === 'POST') {
    const mark = deps.mark();
    return sendJson(ctx, 200, { ...deps.stats(mark), mark });
  }
  throw new AdminError(404, `no admin route ${m} /_emulator/${rest.join('/')}`);
}

async function buckets(ctx: Ctx, deps: AdminDeps, method: string, args: string[]): Promise<void> {
  if (method === 'POST' && args.length === 0) {
    const body = await readJsonBody(ctx);
    if (typeof body.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(body.name))
      throw new AdminError(400, 'bucket name must be a valid GCS bucket name');
    const bucket = deps.store.createBucket(body.name, body.public === true);
    return sendJson(ctx, 200, { name: bucket.name, public: bucket.public });
  }
  if (method === 'DELETE' && args.length === 1) {
    await deps.store.deleteBucket(args[0]!);
    return sendEmpty(ctx, 204);
  }
  throw new AdminError(404, 'buckets: POST {name, public} or DELETE /buckets/<name>');
}

async function accounts(ctx: Ctx, deps: AdminDeps, method: string, args: string[]): Promise<void> {
  const [email, sub, keyId] = args;
  if (method === 'POST' && !email) {
    const body = await readJsonBody(ctx);
    if (!ROLES.includes(body.role as Role)) throw new AdminError(400, `role must be one of ${ROLES.join(', ')}`);
    const buckets = Array.isArray(body.buckets) ? body.buckets.map(String) : undefined;
    const name = typeof body.name === 'string' ? body.name : undefined;
    const projectId = typeof body.projectId === 'string' ? body.projectId : undefined;
    return sendJson(ctx, 200, await deps.accounts.create({ role: body.role as Role, name, buckets, projectId }));
  }
  if (!email || !deps.accounts.get(email)) throw new AdminError(404, `no account ${email ?? ''}`);
  if (method === 'POST' && sub === 'keys') return sendJson(ctx, 200, await deps.accounts.addKey(email));
  if (method === 'DELETE' && sub === 'keys' && keyId) {
    if (!deps.accounts.deleteKey(email, keyId)) throw new AdminError(404, `no key ${keyId}`);
    return sendEmpty(ctx, 204);
  }
  if (method === 'DELETE' && !sub) {
    deps.accounts.revoke(email);
    return sendEmpty(ctx, 204);
  }
  throw new AdminError(404, 'accounts: POST {role, buckets?}, POST /<email>/keys, DELETE /<email>/keys/<id>, DELETE /<email>');
}

async function objectInfo(object: ObjectRecord) {
  const actual = await hashFile(object.file);
  const { file: _file, md5, crc32c, ...rest } = object;
  return { ...rest, recorded: { md5, crc32c }, actual };
}

async function objects(ctx: Ctx, deps: AdminDeps, method: string, args: string[]): Promise<void> {
  const [bucketName, name, action] = args;
  const bucket = bucketName ? deps.store.buckets.get(bucketName) : undefined;
  if (!bucket || name === undefined) throw new AdminError(404, `no bucket ${bucketName ?? ''}`);
  const object = bucket.objects.get(name);
  if (method === 'PUT' && !action) return plant(ctx, deps, bucket.name, name, ctx.query.get('mode') ?? 'replace');
  if (!object) throw new AdminError(404, `no object ${bucket.name}/${name}`);
  if (method === 'GET' && action === 'info') return sendJson(ctx, 200, await objectInfo(object));
  if (method === 'GET' && !action) {
    ctx.res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.size),
      'X-Emulator-Generation': String(object.generation),
    });
    createReadStream(object.file).pipe(ctx.res);
    return;
  }
  if (method === 'POST' && action === 'flip') {
    await flipStoredByte(object, Number(ctx.query.get('at') ?? 0));
    return sendJson(ctx, 200, await objectInfo(object));
  }
  if (method === 'DELETE' && !action) {
    await deps.store.delete(bucket, name);
    return sendEmpty(ctx, 204);
  }
  throw new AdminError(404, 'objects: GET /<b>/<o>[/info], PUT /<b>/<o>?mode=replace|bitrot, POST /<b>/<o>/flip?at=N, DELETE /<b>/<o>');
}

/**
 * Puts bytes into bucket/name behind the client's back. "replace": a new version with hashes
 * recomputed (someone else overwrote it). "bitrot": the bytes change but the recorded md5Hash,
 * crc32c and generation stay (storage corruption; only the size follows the new bytes).
 */
async function plant(ctx: Ctx, deps: AdminDeps, bucketName: string, name: string, mode: string): Promise<void> {
  const bucket = deps.store.buckets.get(bucketName)!;
  const existing = bucket.objects.get(name);
  if (mode !== 'replace' && mode !== 'bitrot') throw new AdminError(400, 'mode must be replace or bitrot');
  if (mode === 'bitrot' && !existing) throw new AdminError(404, `no object ${bucketName}/${name} to rot`);
  const file = deps.store.newUploadFile();
  const hashes = new Hashes();
  const handle = await open(file, 'w');
  try {
    await writeContent(rawBody(ctx), handle, hashes);
  } finally {
    await handle.close();
  }
  if (mode === 'bitrot') {
    const old = existing!.file;
    Object.assign(existing!, { file, size: hashes.size });
    await unlink(old).catch(() => {});
    return sendJson(ctx, 200, await objectInfo(existing!));
  }
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, metadata } = existing ?? {};
  const fields = { contentType: ctx.req.headers['content-type'] ?? contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, metadata };
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const object = await deps.store.commit(bucket, name, file, hashes.size, hashes.digest(), defined);
  return sendJson(ctx, 200, await objectInfo(object));
}

async function flipStoredByte(object: ObjectRecord, at: number): Promise<void> {
  if (!(at >= 0 && at < object.size)) throw new AdminError(400, `at must be within the object's ${object.size} bytes`);
  const handle = await open(object.file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}

async function faults(ctx: Ctx, deps: AdminDeps, method: string, args: string[]): Promise<void> {
  if (method === 'POST' && args.length === 0) {
    const fault = deps.faults.add((await readJsonBody(ctx)) as unknown as FaultSpec);
    return sendJson(ctx, 200, fault);
  }
  if (method === 'GET' && args.length === 0) return sendJson(ctx, 200, { faults: deps.faults.list() });
  if (method === 'DELETE' && args.length === 0) {
    deps.faults.clear(ctx.query.get('owner') ?? undefined);
    return sendEmpty(ctx, 204);
  }
  if (method === 'DELETE' && args.length === 1) {
    if (!deps.faults.remove(Number(args[0]))) throw new AdminError(404, `no fault ${args[0]}`);
    return sendEmpty(ctx, 204);
  }
  throw new AdminError(404, 'faults: POST <spec>, GET, DELETE[?owner=…], DELETE /<id>');
}
