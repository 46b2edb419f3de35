// The XML API's object paths, /<bucket>/<object>: what https://storage.googleapis.com/<bucket>/<object>
// serves. Public reads (allUsers on a public bucket), V4 signed URLs (GET, HEAD, PUT, DELETE, each
// signed for its own method) and Bearer tokens. Errors are XML, as GCS sends them here.
import { open, unlink } from 'node:fs/promises';
import type { Accounts } from './auth.js';
import { GcsError, objectNotFound } from './errors.js';
import { content, rawBody, sendEmpty, type Ctx } from './http.js';
import { streamObject } from './json-api.js';
import { requireBucket, requireWrite, validateName, type Caller } from './objects.js';
import { isSignedUrl, verifySignedRequest } from './signed-urls.js';
import { Hashes, writeContent, type BucketRecord, type ObjectFields, type ObjectRecord, type Store } from './store.js';

export interface XmlApiDeps {
  store: Store;
  accounts: Accounts;
}

const LEGACY_ACL_DETAILS =
  'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access';

/** The caller of an XML request: the signer of a signed URL, the owner of a Bearer token, or nobody. */
export function xmlCaller(ctx: Ctx, accounts: Accounts): Caller {
  if (isSignedUrl(ctx.query)) return verifySignedRequest(accounts, { method: ctx.method, segments: ctx.segments, query: ctx.query, headers: ctx.req.headers });
  return accounts.caller(ctx.req.headers.authorization);
}

export async function handleXmlApi(ctx: Ctx, deps: XmlApiDeps, caller: Caller): Promise<void> {
  const [bucketName, ...rest] = ctx.segments;
  const name = rest.join('/');
  if (!bucketName || !name) {
    throw new GcsError(501, 'notImplemented', 'The test server serves objects only on the XML API (no bucket listing).', {
      xml: { code: 'NotImplemented', message: 'A header or query you provided requested a function that is not implemented.' },
    });
  }
  const bucket = requireBucket(deps.store, bucketName);
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return readObject(ctx, deps, caller, bucket, name);
    case 'PUT':
      return putObject(ctx, deps, caller, bucket, name);
    case 'DELETE':
      deps.accounts.require(caller, 'storage.objects.delete', bucket, 'xml');
      if (!(await deps.store.delete(bucket, name))) throw objectNotFound(bucket.name, name);
      return sendEmpty(ctx, 204);
    default:
      throw new GcsError(405, 'methodNotAllowed', `Method ${ctx.method} is not allowed.`, {
        xml: { code: 'MethodNotAllowed', message: 'The specified method is not allowed against this resource.' },
      });
  }
}

const md5Hex = (object: ObjectRecord) => Buffer.from(object.md5, 'base64').toString('hex');

async function readObject(ctx: Ctx, deps: XmlApiDeps, caller: Caller, bucket: BucketRecord, name: string): Promise<void> {
  deps.accounts.require(caller, 'storage.objects.get', bucket, 'xml');
  const object = bucket.objects.get(name);
  if (!object) throw objectNotFound(bucket.name, name);
  // Publicly readable objects are cacheable by default (GCS's "public, max-age=3600"); anything needing credentials is not.
  const publicRead = caller === 'anonymous';
  const headers: Record<string, string | string[]> = {
    ETag: `"${md5Hex(object)}"`,
    'x-goog-hash': [`crc32c=${object.crc32c}`, `md5=${object.md5}`],
    'Cache-Control': object.cacheControl ?? (publicRead ? 'public, max-age=3600' : 'private, max-age=0'),
    ...(publicRead ? { Expires: new Date(Date.now() + 3600_000).toUTCString() } : {}),
    ...Object.fromEntries(Object.entries(object.metadata ?? {}).map(([k, v]) => [`x-goog-meta-${k}`, v])),
  };
  const disposition = ctx.query.get('response-content-disposition');
  const type = ctx.query.get('response-content-type');
  if (disposition) headers['Content-Disposition'] = disposition;
  if (type) headers['Content-Type'] = type;
  await streamObject(ctx, object, headers);
}

function fieldsFromHeaders(ctx: Ctx): ObjectFields {
  const h = ctx.req.headers;
  const metadata = Object.fromEntries(
    Object.entries(h)
      .filter(([k]) => k.startsWith('x-goog-meta-'))
      .map(([k, v]) => [k.slice('x-goog-meta-'.length), [v ?? ''].flat().join(',')]),
  );
  const fields: ObjectFields = {
    contentType: h['content-type'],
    cacheControl: h['cache-control'],
    contentDisposition: h['content-disposition'],
    contentEncoding: h['content-encoding'],
    contentLanguage: h['content-language'],
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ObjectFields;
}

const badDigest = (what: string) =>
  new GcsError(400, 'invalid', `The ${what} you specified did not match what we received.`, {
    xml: { code: 'BadDigest', message: `The ${what} you specified did not match what we received.` },
  });

/** PUT /<bucket>/<object> (a signed upload URL, or a Bearer token): the body becomes the object. */
async function putObject(ctx: Ctx, deps: XmlApiDeps, caller: Caller, bucket: BucketRecord, name: string): Promise<void> {
  validateName(name);
  requireWrite(deps.accounts, caller, bucket, name, 'xml');
  if (ctx.req.headers['x-goog-acl']) {
    throw new GcsError(400, 'invalid', LEGACY_ACL_DETAILS, { xml: { code: 'InvalidArgument', message: 'Invalid argument.', details: LEGACY_ACL_DETAILS } });
  }
  const file = deps.store.newUploadFile();
  const hashes = new Hashes();
  const handle = await open(file, 'w');
  try {
    await writeContent(content(ctx, rawBody(ctx)), handle, hashes);
  } finally {
    await handle.close();
  }
  try {
    if (ctx.cut) return;
    const digest = hashes.digest();
    const contentMd5 = ctx.req.headers['content-md5'];
    if (typeof contentMd5 === 'string' && contentMd5 !== digest.md5) throw badDigest('MD5');
    for (const part of [ctx.req.headers['x-goog-hash'] ?? []].flat().flatMap((v) => v.split(','))) {
      const [kind, value] = [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()];
      if (kind === 'md5' && value !== digest.md5) throw badDigest('MD5');
      if (kind === 'crc32c' && value !== digest.crc32c) throw badDigest('CRC32C');
    }
    requireWrite(deps.accounts, caller, bucket, name, 'xml');
    const object = await deps.store.commit(bucket, name, file, hashes.size, digest, fieldsFromHeaders(ctx));
    sendEmpty(ctx, 200, {
      ETag: `"${md5Hex(object)}"`,
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': '1',
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5}`,
      'x-goog-stored-content-length': String(object.size),
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    });
  } finally {
    await unlink(file).catch(() => {});
  }
}
