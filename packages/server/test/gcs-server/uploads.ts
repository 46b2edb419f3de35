// Uploads under /upload/storage/v1/b/<bucket>/o: uploadType=media, multipart and resumable, as the
// SDK sends them (file.save/createWriteStream with resumable false or true, with or without
// chunkSize). Bytes go to disk as they arrive; the object appears only once the whole upload is
// in and every declared checksum matched.
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import type { Accounts } from './auth.js';
import { GcsError, invalid, notFound } from './errors.js';
import { content, drain, rawBody, readJsonBody, sendEmpty, sendJson, type Ctx } from './http.js';
import { boundaryOf, multipartMedia, type MultipartParts } from './multipart.js';
import {
  checkPreconditions,
  declaredIn,
  objectFieldsFrom,
  objectResource,
  parseGoogHash,
  preconditionParams,
  refuseLegacyAcl,
  requireBucket,
  requireWrite,
  validateName,
  verifyChecksums,
  type Caller,
  type DeclaredHashes,
} from './objects.js';
import { Hashes, writeContent, type ObjectFields, type ObjectRecord, type Store } from './store.js';

/** Non-final chunks of a resumable upload must be at least this big (and should be multiples of it). */
export const CHUNK_GRANULARITY = 256 * 1024;

export interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  fields: ObjectFields;
  declared: DeclaredHashes;
  /** X-Upload-Content-Length from the initiation, if given. */
  declaredLength?: number;
  preconditions: URLSearchParams;
  caller: Caller;
  file: string;
  /** Hashes of the bytes persisted so far; `hashes.size` is the persisted length. */
  hashes: Hashes;
  /** The object, once finalized: a repeated final request gets it again, as in GCS. */
  result?: ObjectRecord;
  /** Requests on one session are handled one at a time (a retry may arrive while a cut request is still being persisted). */
  queue: Promise<void>;
}

export interface UploadDeps {
  store: Store;
  accounts: Accounts;
  sessions: Map<string, UploadSession>;
}

/** Routes a request to /upload/storage/v1/b/<bucket>/o. */
export async function handleUpload(ctx: Ctx, deps: UploadDeps, caller: Caller, bucketName: string): Promise<void> {
  const uploadId = ctx.query.get('upload_id');
  if (uploadId) return withSession(deps, uploadId, (session) => handleSessionRequest(ctx, deps, session));
  if (ctx.method !== 'POST') throw notFound();
  const bucket = requireBucket(deps.store, bucketName);
  deps.accounts.require(caller, 'storage.objects.create', bucket);
  refuseLegacyAcl(ctx.query);
  switch (ctx.query.get('uploadType')) {
    case 'media':
      return mediaUpload(ctx, deps, caller, bucketName);
    case 'multipart':
      return multipartUpload(ctx, deps, caller, bucketName);
    case 'resumable':
      return startResumable(ctx, deps, caller, bucketName);
    default:
      throw invalid(`Invalid upload type: ${ctx.query.get('uploadType') ?? '(none)'}. Use media, multipart or resumable.`);
  }
}

async function withSession(deps: UploadDeps, id: string, handle: (session: UploadSession) => Promise<void>): Promise<void> {
  const session = deps.sessions.get(id);
  if (!session) throw notFound('No such upload session.');
  const previous = session.queue;
  let release!: () => void;
  session.queue = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    await handle(session);
  } finally {
    release();
  }
}

/** Streams `source` into a new file; returns the file and the hashes of what was written. */
async function receive(source: AsyncIterable<Buffer>, store: Store): Promise<{ file: string; hashes: Hashes }> {
  const file = store.newUploadFile();
  const hashes = new Hashes();
  const handle = await open(file, 'w');
  try {
    await writeContent(source, handle, hashes);
  } catch (error) {
    await unlink(file).catch(() => {});
    throw error;
  } finally {
    await handle.close();
  }
  return { file, hashes };
}

/**
 * The last step of every upload: checksums, preconditions and the overwrite permission are checked
 * against the state at this moment, and only then does the object (re)appear.
 */
async function commitUpload(
  ctx: Ctx,
  deps: UploadDeps,
  upload: {
    caller: Caller;
    bucket: string;
    name: string;
    file: string;
    hashes: Hashes;
    fields: ObjectFields;
    declared: DeclaredHashes[];
    preconditions: URLSearchParams;
  },
): Promise<ObjectRecord> {
  try {
    verifyChecksums(upload.hashes.digest(), ...upload.declared, parseGoogHash(ctx.req.headers['x-goog-hash']));
    const bucket = requireBucket(deps.store, upload.bucket);
    requireWrite(deps.accounts, upload.caller, bucket, upload.name);
    checkPreconditions(upload.preconditions, bucket.objects.get(upload.name));
    return await deps.store.commit(bucket, upload.name, upload.file, upload.hashes.size, upload.hashes.digest(), upload.fields);
  } catch (error) {
    await unlink(upload.file).catch(() => {});
    throw error;
  }
}

async function mediaUpload(ctx: Ctx, deps: UploadDeps, caller: Caller, bucket: string): Promise<void> {
  const name = validateName(ctx.query.get('name'));
  const { file, hashes } = await receive(content(ctx, rawBody(ctx)), deps.store);
  if (ctx.cut) return unlink(file);
  const contentType = ctx.req.headers['content-type'];
  const fields = contentType ? { contentType } : {};
  const object = await commitUpload(ctx, deps, { caller, bucket, name, file, hashes, fields, declared: [], preconditions: ctx.query });
  sendJson(ctx, 200, objectResource(object, ctx.baseUrl));
}

async function multipartUpload(ctx: Ctx, deps: UploadDeps, caller: Caller, bucket: string): Promise<void> {
  const boundary = boundaryOf(ctx.req.headers['content-type']);
  if (!boundary) throw invalid('Invalid multipart request: Content-Type must be multipart/related with a boundary.');
  const parts: MultipartParts = {};
  const { file, hashes } = await receive(content(ctx, multipartMedia(rawBody(ctx), boundary, parts)), deps.store);
  if (ctx.cut) return unlink(file);
  const metadata = parts.metadata ?? {};
  try {
    const name = validateName(ctx.query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : undefined));
    const fields = objectFieldsFrom(metadata);
    fields.contentType ??= parts.mediaContentType;
    const object = await commitUpload(ctx, deps, { caller, bucket, name, file, hashes, fields, declared: [declaredIn(metadata)], preconditions: ctx.query });
    sendJson(ctx, 200, objectResource(object, ctx.baseUrl));
  } catch (error) {
    await unlink(file).catch(() => {});
    throw error;
  }
}

/** POST ?uploadType=resumable: a session whose URI (with upload_id) the client PUTs the bytes to. */
async function startResumable(ctx: Ctx, deps: UploadDeps, caller: Caller, bucketName: string): Promise<void> {
  const metadata = await readJsonBody(ctx);
  const name = validateName(ctx.query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : undefined));
  const fields = objectFieldsFrom(metadata);
  const uploadContentType = ctx.req.headers['x-upload-content-type'];
  if (typeof uploadContentType === 'string') fields.contentType ??= uploadContentType;
  const declaredLength = ctx.req.headers['x-upload-content-length'];
  // Overwriting needs storage.objects.delete: refused here already when the object exists (and checked again at the end).
  requireWrite(deps.accounts, caller, requireBucket(deps.store, bucketName), name);
  const id = `ADPycd${randomBytes(24).toString('base64url')}`;
  const session: UploadSession = {
    id,
    bucket: bucketName,
    name,
    fields,
    declared: declaredIn(metadata),
    declaredLength: declaredLength === undefined ? undefined : Number(declaredLength),
    preconditions: preconditionParams(ctx.query),
    caller,
    file: deps.store.newUploadFile(),
    hashes: new Hashes(),
    queue: Promise.resolve(),
  };
  await open(session.file, 'w').then((h) => h.close());
  deps.sessions.set(id, session);
  const location = `${ctx.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
  sendEmpty(ctx, 200, { Location: location, 'X-GUploader-UploadID': id });
}

type ContentRange =
  // "bytes */*" or "bytes */T": how much do you have (and, with T, finish if that is all of it).
  | { kind: 'query'; total?: number }
  // "bytes a-b/T", "bytes a-b/*", "bytes a-*/T" or "bytes a-*/*": a chunk; an unknown end means this request carries the rest.
  | { kind: 'data'; start: number; end?: number; total?: number };

function parseContentRange(header: string | undefined): ContentRange {
  // Without Content-Range the request is the whole object in one go.
  if (!header) return { kind: 'data', start: 0 };
  const match = /^bytes (?:(\*)|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(header.trim());
  if (!match) throw invalid(`Failed to parse Content-Range header.`);
  const total = match[4] === '*' ? undefined : Number(match[4]);
  if (match[1]) return { kind: 'query', total };
  const start = Number(match[2]);
  const end = match[3] === '*' ? undefined : Number(match[3]);
  if (end !== undefined && end < start) throw invalid(`Failed to parse Content-Range header.`);
  if (total !== undefined && end !== undefined && end >= total) throw invalid(`Failed to parse Content-Range header.`);
  return { kind: 'data', start, end, total };
}

/** 308 Resume Incomplete, with `Range: bytes=0-N` once anything is persisted (and without Range before). */
function resumeIncomplete(ctx: Ctx, session: UploadSession): void {
  const persisted = session.hashes.size;
  sendEmpty(ctx, 308, persisted > 0 ? { Range: `bytes=0-${persisted - 1}`, 'X-GUploader-UploadID': session.id } : { 'X-GUploader-UploadID': session.id });
}

async function handleSessionRequest(ctx: Ctx, deps: UploadDeps, session: UploadSession): Promise<void> {
  if (ctx.method === 'DELETE') {
    deps.sessions.delete(session.id);
    await unlink(session.file).catch(() => {});
    return sendEmpty(ctx, 499);
  }
  if (ctx.method !== 'PUT' && ctx.method !== 'POST') throw notFound();
  if (session.result) {
    await drain(ctx.req);
    return sendJson(ctx, 200, objectResource(session.result, ctx.baseUrl));
  }
  const range = parseContentRange(ctx.req.headers['content-range']);
  if (range.kind === 'query') {
    await drain(ctx.req);
    if (range.total === undefined || range.total > session.hashes.size) return resumeIncomplete(ctx, session);
    if (range.total < session.hashes.size) throw sizeMismatch(range.total, session.hashes.size);
    return finalize(ctx, deps, session);
  }
  await receiveChunk(ctx, deps, session, range);
}

async function receiveChunk(ctx: Ctx, deps: UploadDeps, session: UploadSession, range: Extract<ContentRange, { kind: 'data' }>): Promise<void> {
  const persisted = session.hashes.size;
  if (range.start > persisted) {
    await drain(ctx.req);
    throw invalid(
      `Invalid request.  According to the Content-Range header, the upload offset is ${range.start} byte(s), which exceeds already uploaded size of ${persisted} byte(s).`,
    );
  }
  // Bytes before `persisted` are already stored (a client resending after a cut): skip them.
  const received = { bytes: 0 };
  const hashes = session.hashes.copy();
  const handle = await open(session.file, 'r+');
  let failed = false;
  try {
    await writeContent(content(ctx, skip(countBytes(rawBody(ctx), received), persisted - range.start)), handle, hashes);
  } catch (error) {
    if (!ctx.req.destroyed && !ctx.cut) throw error;
    failed = true; // the client went away: keep what arrived, as GCS does
  } finally {
    await handle.close();
  }
  if (ctx.cut || failed) {
    session.hashes = hashes;
    return;
  }
  const expected = range.end === undefined ? undefined : range.end - range.start + 1;
  if (expected !== undefined && received.bytes !== expected) {
    throw invalid(
      `Invalid request.  There were ${received.bytes} byte(s) (or more) in the request body.  There should have been ${expected} byte(s) (starting at offset ${range.start} and ending at offset ${range.end}) according to the Content-Range header.`,
    );
  }
  const final = range.end === undefined || (range.total !== undefined && range.end + 1 === range.total);
  if (!final && received.bytes < CHUNK_GRANULARITY) {
    throw invalid(
      `Invalid request. The number of bytes uploaded is required to be equal or greater than ${CHUNK_GRANULARITY}, except for the final request (it's recommended to be the exact multiple of ${CHUNK_GRANULARITY}). The received request contained ${received.bytes} bytes, which does not meet this requirement.`,
    );
  }
  session.hashes = hashes;
  if (!final) return resumeIncomplete(ctx, session);
  if (range.total !== undefined && range.total !== hashes.size) throw sizeMismatch(range.total, hashes.size);
  await finalize(ctx, deps, session);
}

const sizeMismatch = (declared: number, actual: number) =>
  invalid(`Invalid request.  The Content-Range header declares a total of ${declared} byte(s), but ${actual} byte(s) were uploaded.`);

async function finalize(ctx: Ctx, deps: UploadDeps, session: UploadSession): Promise<void> {
  if (session.declaredLength !== undefined && session.declaredLength !== session.hashes.size) {
    throw invalid(
      `Invalid request.  The upload was declared as ${session.declaredLength} byte(s) (X-Upload-Content-Length), but ${session.hashes.size} were uploaded.`,
    );
  }
  try {
    session.result = await commitUpload(ctx, deps, { ...session, declared: [session.declared] });
  } catch (error) {
    // A refused finalization ends the session: its bytes are gone, as in GCS.
    if (error instanceof GcsError) deps.sessions.delete(session.id);
    throw error;
  }
  sendJson(ctx, 200, objectResource(session.result, ctx.baseUrl));
}

async function* countBytes(source: AsyncIterable<Buffer>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

async function* skip(source: AsyncIterable<Buffer>, bytes: number): AsyncGenerator<Buffer> {
  let left = bytes;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}
