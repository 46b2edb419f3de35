// The JSON API under /storage/v1 (and media downloads under /download/storage/v1): the calls
// @google-cloud/storage makes for bucket.getMetadata/exists, file.getMetadata/exists/download/
// createReadStream/delete/setMetadata, bucket.getFiles and bucket.iam.testPermissions.
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { flipAt } from './faults.js';
import type { Accounts } from './auth.js';
import { GcsError, invalid, notFound, objectNotFound, rangeNotSatisfiable, uniformAccessAcl } from './errors.js';
import { parseRange, readJsonBody, sendEmpty, sendJson, type Ctx } from './http.js';
import { bucketResource, checkPreconditions, etagOf, objectFieldsFrom, objectResource, requireBucket, type Caller } from './objects.js';
import type { BucketRecord, ObjectRecord, Store } from './store.js';

export interface JsonApiDeps {
  store: Store;
  accounts: Accounts;
}

/** Routes `/storage/v1/<rest>`; `rest` are the decoded segments after "v1". */
export async function handleJsonApi(ctx: Ctx, deps: JsonApiDeps, caller: Caller, rest: string[]): Promise<void> {
  const [b, bucketName, o, objectName, ...sub] = rest;
  if (b !== 'b' || bucketName === undefined) throw notFound();
  const bucket = requireBucket(deps.store, bucketName);
  if (o === undefined) return routeBucket(ctx, deps, caller, bucket);
  if (o === 'iam' && objectName === 'testPermissions' && ctx.method === 'GET') return testPermissions(ctx, deps, caller, bucket);
  if (o !== 'o') throw notFound();
  if (objectName === undefined || objectName === '') {
    if (ctx.method === 'GET') return listObjects(ctx, deps, caller, bucket);
    throw notFound();
  }
  if (sub[0] === 'acl') throw uniformAccessAcl();
  if (sub.length > 0)
    throw invalid(`The test server does not implement ${ctx.method} /o/<object>/${sub.join('/')} (compose, copy and rewrite are not supported).`);
  switch (ctx.method) {
    case 'GET':
      return ctx.query.get('alt') === 'media' ? downloadMedia(ctx, deps, caller, bucket, objectName) : getObject(ctx, deps, caller, bucket, objectName);
    case 'DELETE':
      return deleteObject(ctx, deps, caller, bucket, objectName);
    case 'PATCH':
      return patchObject(ctx, deps, caller, bucket, objectName);
    default:
      throw new GcsError(405, 'methodNotAllowed', `Method ${ctx.method} is not supported on objects by the test server.`);
  }
}

function routeBucket(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord): void {
  if (ctx.method !== 'GET') throw new GcsError(405, 'methodNotAllowed', `Method ${ctx.method} on buckets is not supported by the test server.`);
  deps.accounts.require(caller, 'storage.buckets.get', bucket);
  sendJson(ctx, 200, bucketResource(bucket, ctx.baseUrl));
}

/** Any authenticated caller may ask which of the listed permissions it holds on the bucket. */
function testPermissions(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord): void {
  const asked = ctx.query.getAll('permissions');
  if (asked.length === 0) throw invalid('Required', 'required');
  const granted = asked.filter((p) => deps.accounts.allows(caller, p, bucket));
  sendJson(ctx, 200, { kind: 'storage#testIamPermissionsResponse', ...(granted.length > 0 ? { permissions: granted } : {}) });
}

function existingObject(bucket: BucketRecord, name: string): ObjectRecord {
  const object = bucket.objects.get(name);
  if (!object) throw objectNotFound(bucket.name, name);
  return object;
}

function getObject(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord, name: string): void {
  deps.accounts.require(caller, 'storage.objects.get', bucket);
  const object = existingObject(bucket, name);
  checkPreconditions(ctx.query, object);
  sendJson(ctx, 200, objectResource(object, ctx.baseUrl));
}

async function deleteObject(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord, name: string): Promise<void> {
  deps.accounts.require(caller, 'storage.objects.delete', bucket);
  checkPreconditions(ctx.query, existingObject(bucket, name));
  await deps.store.delete(bucket, name);
  sendEmpty(ctx, 204);
}

async function patchObject(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord, name: string): Promise<void> {
  deps.accounts.require(caller, 'storage.objects.update', bucket);
  const body = await readJsonBody(ctx);
  const object = existingObject(bucket, name);
  checkPreconditions(ctx.query, object);
  const { metadata, ...fields } = objectFieldsFrom(body);
  // In a patch, null clears a field and a metadata key set to null is removed.
  for (const key of ['contentType', 'cacheControl', 'contentDisposition', 'contentEncoding', 'contentLanguage'] as const) {
    if (body[key] === null) delete object[key];
  }
  Object.assign(object, fields);
  if (body.metadata === null) object.metadata = undefined;
  else if (body.metadata && typeof body.metadata === 'object') {
    const merged = { ...object.metadata, ...metadata };
    for (const [key, value] of Object.entries(body.metadata)) if (value === null) delete merged[key];
    object.metadata = merged;
  }
  object.contentType ??= 'application/octet-stream';
  object.metageneration++;
  object.updated = new Date();
  sendJson(ctx, 200, objectResource(object, ctx.baseUrl));
}

/** alt=media: the bytes, with the headers the SDK reads (X-Goog-Hash for its integrity check, X-Goog-Stored-Content-Encoding). */
async function downloadMedia(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord, name: string): Promise<void> {
  deps.accounts.require(caller, 'storage.objects.get', bucket);
  const object = existingObject(bucket, name);
  checkPreconditions(ctx.query, object);
  if (ctx.query.has('generation') && Number(ctx.query.get('generation')) !== object.generation) throw objectNotFound(bucket.name, name);
  await streamObject(ctx, object, {
    'X-Goog-Hash': `crc32c=${object.crc32c},md5=${object.md5}`,
    'Cache-Control': object.cacheControl ?? 'no-cache, no-store, max-age=0, must-revalidate',
    ETag: etagOf(object),
  });
}

/** Headers every read of an object carries, in the JSON and the XML API alike. */
export function objectHeaders(object: ObjectRecord): Record<string, string> {
  return {
    'Content-Type': object.contentType,
    'Last-Modified': object.updated.toUTCString(),
    'X-Goog-Generation': String(object.generation),
    'X-Goog-Metageneration': String(object.metageneration),
    'X-Goog-Stored-Content-Encoding': object.contentEncoding ?? 'identity',
    'X-Goog-Stored-Content-Length': String(object.size),
    'X-Goog-Storage-Class': 'STANDARD',
    'Accept-Ranges': 'bytes',
    ...(object.contentDisposition ? { 'Content-Disposition': object.contentDisposition } : {}),
    ...(object.contentEncoding ? { 'Content-Encoding': object.contentEncoding } : {}),
    ...(object.contentLanguage ? { 'Content-Language': object.contentLanguage } : {}),
  };
}

/** Sends the object (or the Range asked for: 206) from disk, streamed. */
export async function streamObject(ctx: Ctx, object: ObjectRecord, extraHeaders: Record<string, string | string[]>): Promise<void> {
  const range = parseRange(ctx.req.headers.range, object.size);
  if (range === 'unsatisfiable') throw rangeNotSatisfiable(object.size);
  // Opened before answering: if it was replaced meanwhile, this is still one consistent version.
  const file = await open(object.file, 'r').catch(() => {
    throw objectNotFound(object.bucket, object.name);
  });
  const headers = { ...objectHeaders(object), ...extraHeaders };
  const length = range ? range.end - range.start + 1 : object.size;
  ctx.res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': String(length),
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${object.size}` } : {}),
  });
  if (ctx.method === 'HEAD' || length === 0) {
    await file.close();
    ctx.res.end();
    return;
  }
  const stream = file.createReadStream({ start: range?.start ?? 0, end: range?.end ?? object.size - 1 });
  const flip = ctx.actions.find((a) => a.type === 'flipResponse');
  const out = flip ? Readable.from(flipAt(stream, flip.atByte ?? 0)) : stream;
  await new Promise<void>((resolve) => {
    out.on('error', () => ctx.res.destroy());
    ctx.res.on('close', resolve);
    out.pipe(ctx.res);
  });
  stream.destroy();
}

const MAX_RESULTS = 1000;

/** GCS sorts names by their UTF-8 bytes, which is not JavaScript's UTF-16 order for astral characters. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * objects.list with prefix, delimiter, startOffset/endOffset, maxResults and pageToken. With a
 * delimiter, each common prefix counts as one result, as in GCS; the page token is opaque.
 */
function listObjects(ctx: Ctx, deps: JsonApiDeps, caller: Caller, bucket: BucketRecord): void {
  deps.accounts.require(caller, 'storage.objects.list', bucket);
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxResults = Math.min(Number(q.get('maxResults') ?? MAX_RESULTS) || MAX_RESULTS, MAX_RESULTS);
  if (maxResults < 0) throw invalid(`Invalid value for maxResults: ${q.get('maxResults')}`);
  const after = q.get('pageToken') ? decodePageToken(q.get('pageToken')!) : undefined;
  const startOffset = q.get('startOffset') ?? '';
  const endOffset = q.get('endOffset');
  const includeTrailingDelimiter = q.get('includeTrailingDelimiter') === 'true';

  const names = [...bucket.objects.keys()]
    .filter((n) => n.startsWith(prefix) && byUtf8(n, startOffset) >= 0 && (endOffset === null || byUtf8(n, endOffset) < 0))
    .sort(byUtf8);
  const items: ObjectRecord[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const name of names) {
    const rest = name.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const key = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : name;
    // Resuming after a page: skip everything up to and including the last key returned.
    if (after !== undefined && (byUtf8(key, after) <= 0 || (after.endsWith(delimiter) && delimiter && key.startsWith(after)))) continue;
    if (key === last) continue;
    if (items.length + prefixes.length >= maxResults) {
      truncated = true;
      break;
    }
    if (cut >= 0) {
      prefixes.push(key);
      if (includeTrailingDelimiter && key === name) items.push(bucket.objects.get(name)!);
    } else items.push(bucket.objects.get(name)!);
    last = key;
  }
  sendJson(ctx, 200, {
    kind: 'storage#objects',
    ...(truncated && last !== undefined ? { nextPageToken: Buffer.from(last, 'utf8').toString('base64') } : {}),
    ...(prefixes.length > 0 ? { prefixes } : {}),
    ...(items.length > 0 ? { items: items.map((o) => objectResource(o, ctx.baseUrl)) } : {}),
  });
}

function decodePageToken(token: string): string {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (!decoded) throw invalid('Invalid page token.');
  return decoded;
}
