import { IdempotencyStrategy, Storage, type Bucket, type File } from '@google-cloud/storage';
import { GoogleAuth, JWT, type Credentials } from 'google-auth-library';
import { createHash, createSign, randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BufferPools } from './buffer-pool.js';
import { attachment, ChecksumProbe, changed, FileChanged, readExactly, writeVerified } from './files.js';
import type { BucketDriver, DriverTuning, ListedObject, ObjectStat, WriteOptions, WrittenFile } from './driver.js';
import { networkCode, networkReason, StorageError, type StorageErrorCode, type StorageOperation } from './errors.js';
import { assertKey, publicObjectUrl } from './keys.js';

export interface GcsDriverConfig extends DriverTuning {
  /** The JSON API's base URL: https://storage.googleapis.com, or a private or test endpoint. */
  endpoint: string;
  projectId: string;
  bucket: string;
  clientEmail: string;
  privateKey: string;
  /** Where the key's JWT is exchanged for access tokens (the key file's token_uri). */
  tokenUri: string;
  /** Base URL objects are publicly served from; '' when there is none (a private bucket: signed links). */
  publicUrl: string;
}

const MiB = 1024 * 1024;
const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
/** Resumable chunks must be multiples of 256 KiB. */
const CHUNK_QUANTUM = 256 * 1024;

/**
 * Google Cloud Storage on its native JSON API, through the official SDK. Every upload carries the
 * file's MD5, computed from the bytes on disk before they are sent, in the object resource: GCS
 * computes its own over what it received and refuses the upload when they differ, so nothing
 * altered on the way is ever stored, and the SHA-256 reported is of those same bytes. Files up to
 * one chunk go up in one request from a pooled buffer; larger ones as a resumable upload of
 * chunk-sized requests (what the SDK holds for a retry is one chunk), which resumes where it was
 * after a cut connection. No ACL is ever sent: uniform bucket-level access rejects them.
 */
export class GcsDriver implements BucketDriver {
  private readonly bucket: Bucket;
  private readonly attempts: number;
  private readonly jwt: TokenUriJwt;
  private readonly requestTimeout: number;

  constructor(
    readonly config: GcsDriverConfig,
    private readonly pools = new BufferPools(),
  ) {
    this.attempts = config.maxAttempts ?? 3;
    const requestTimeout = config.requestTimeoutMs ?? 120_000;
    const jwt = (this.jwt = new TokenUriJwt(config.tokenUri, config.clientEmail, config.privateKey, config.connectionTimeoutMs ?? 5000));
    this.requestTimeout = requestTimeout;
    const storage = new Storage({
      apiEndpoint: config.endpoint,
      // With an apiEndpoint set the SDK sends no credentials unless told to.
      useAuthWithCustomEndpoint: true,
      projectId: config.projectId || undefined,
      // The key's email (for V4 signing) and the client that honours its token_uri.
      authClient: new GoogleAuth({ credentials: { client_email: config.clientEmail, private_key: config.privateKey }, authClient: jwt, scopes: [SCOPE] }),
      timeout: requestTimeout,
      retryOptions: {
        autoRetry: this.attempts > 1,
        maxRetries: this.attempts - 1,
        // Writing the same verified bytes under the same key again is harmless: retry uploads too.
        idempotencyStrategy: IdempotencyStrategy.RetryAlways,
        totalTimeout: Math.ceil((requestTimeout * this.attempts) / 1000),
      },
    });
    // The SDK applies `timeout` to plain requests only; resumable sessions and chunks would wait on a stalled connection forever.
    // (The interceptor's declared types disagree with what it is handed and returns: the same request options.)
    storage.interceptors.push({ request: (options) => Object.assign(options, { timeout: options.timeout ?? requestTimeout }) as never });
    this.bucket = storage.bucket(config.bucket);
  }

  where(key: string) {
    return `${this.config.bucket}/${key}`;
  }

  private file(key: string): File {
    return this.bucket.file(key);
  }

  private get chunkSize() {
    return Math.max(CHUNK_QUANTUM, Math.ceil((this.config.partSize ?? 8 * MiB) / CHUNK_QUANTUM) * CHUNK_QUANTUM);
  }

  async writeFile(key: string, file: string, options: WriteOptions): Promise<WrittenFile> {
    assertKey(key, 'write');
    return writeVerified(this, key, file, options, (handle, stat) =>
      stat.size <= this.chunkSize ? this.writeSmall(key, handle, stat.size, options) : this.writeResumable(key, file, handle, stat, options),
    );
  }

  /** One request from a pooled buffer: the file read once, hashed there, and sent with its MD5. */
  private async writeSmall(key: string, handle: FileHandle, size: number, options: WriteOptions): Promise<Omit<WrittenFile, 'verification'>> {
    const pool = this.pools.of(this.chunkSize);
    const buffer = pool.take();
    let body: Buffer;
    try {
      body = await readExactly(handle, buffer, size, 0);
    } catch (error) {
      pool.give(buffer);
      throw error;
    }
    const md5 = createHash('md5').update(body).digest('base64');
    const sha256 = createHash('sha256').update(body).digest('hex');
    await this.send(key, () => Readable.from([body]), md5, options, null);
    // Only after a response: a request that failed may still hold the buffer, which then goes to the garbage collector instead.
    pool.give(buffer);
    return { size, sha256 };
  }

  /**
   * Reads the file once to hash it (MD5 for GCS to check, SHA-256 for our record), then streams it
   * as a resumable upload that declares that MD5. Bytes that differ from the hashed ones — altered
   * in flight, or a file changed in between — make GCS refuse the whole object.
   */
  private async writeResumable(key: string, file: string, handle: FileHandle, stat: Stats, options: WriteOptions): Promise<Omit<WrittenFile, 'verification'>> {
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    for await (const chunk of handle.createReadStream({ start: 0, end: stat.size - 1, autoClose: false, highWaterMark: MiB, signal: options.signal })) {
      md5.update(chunk as Buffer);
      sha256.update(chunk as Buffer);
    }
    // Each send reads the file afresh (a failed send's stream is destroyed, and its handle with it), from the very file that was hashed.
    const bytes = async () => {
      const again = await open(file, 'r');
      if (changed(stat, await again.stat())) {
        await again.close();
        throw new FileChanged();
      }
      return again.createReadStream({ start: 0, end: stat.size - 1, highWaterMark: MiB });
    };
    await this.send(key, bytes, md5.digest('base64'), options, { handle, stat });
    return { size: stat.size, sha256: sha256.digest('hex') };
  }

  /**
   * Sends one upload declaring its MD5 until GCS stores it. Refused for a mismatched MD5 (bytes
   * damaged on the way), it is sent again whole, a few times. After a transient failure (429,
   * 5xx, a dropped or stalled connection, the SDK's own retries spent) it goes on: a resumable
   * upload resumes its session from what GCS holds (the SDK skips what was persisted), a
   * one-request upload is sent again from its buffer. A file that changed since it was hashed is
   * not sent again: nothing of it could count.
   */
  private async send(
    key: string,
    body: () => Readable | Promise<Readable>,
    md5Hash: string,
    options: WriteOptions,
    file: { handle: FileHandle; stat: Stats } | null,
  ) {
    const object = this.file(key);
    const metadata = { contentType: options.contentType, cacheControl: options.cacheControl, md5Hash, metadata: options.metadata };
    let uri: string | undefined;
    let resends = 0;
    let retries = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      if (file && changed(file.stat, await file.handle.stat())) throw new FileChanged();
      try {
        // The session is opened by createResumableUpload, which authenticates against any endpoint
        // (the write stream's own session request sends no credentials unless the host is
        // *.googleapis.com); the session URI is then the upload's credential, at GCS as anywhere.
        if (file && !uri) [uri] = await object.createResumableUpload({ metadata });
        const stream = object.createWriteStream({
          resumable: Boolean(file),
          uri,
          chunkSize: file ? this.chunkSize : undefined,
          // GCS checks the MD5 declared here; the SDK's own after-the-fact CRC32C comparison would only repeat that, in JavaScript.
          validation: false,
          metadata,
        });
        await pipeline(await body(), stream, { signal: options.signal });
        return;
      } catch (error) {
        if (options.signal?.aborted || error instanceof FileChanged) throw error;
        if (isChecksumRejection(error) && ++resends < CHECKSUM_RESENDS) {
          uri = undefined; // that session ended refused: a new one
          continue;
        }
        if (!isTransient(error) || ++retries >= this.attempts) throw error;
        await sleep(Math.min(100 * 4 ** retries, 5000), undefined, { signal: options.signal });
      }
    }
  }

  /**
   * Whether this store refuses an upload whose bytes do not match its declared MD5, asked of the
   * store once per driver with a probe that declares another body's MD5. GCS refuses it; a
   * GCS-compatible store that accepts it verifies nothing, so its uploads are read back instead.
   */
  storeVerifiesChecksums(near: string): Promise<boolean | null> {
    return this.probe.verifies(near);
  }

  private readonly probe = new ChecksumProbe((near) => this.askStoreToVerify(near));

  private async askStoreToVerify(near: string): Promise<boolean | null> {
    const probe = `${near.slice(0, near.lastIndexOf('/') + 1)}.offload-checksum-check-${randomUUID()}`;
    const body = Buffer.from('Offload checks that this store verifies upload checksums.\n');
    const otherMd5 = createHash('md5').update('not this body').digest('base64');
    try {
      await this.send(probe, () => Readable.from([body]), otherMd5, { contentType: 'text/plain', cacheControl: 'no-store' }, null);
    } catch (error) {
      return isChecksumRejection(error) ? true : null;
    }
    await this.delete(probe).catch(() => undefined);
    return false;
  }

  async writeBuffer(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    assertKey(key, 'write');
    try {
      await this.send(key, () => Readable.from([body]), createHash('md5').update(body).digest('base64'), options, null);
    } catch (error) {
      throw this.wrap(error, 'write', key);
    }
  }

  /**
   * The object's bytes, streamed, from the JSON API's media download — fetched here rather than
   * through the SDK's read stream, whose retry of a 429 or 5xx pipes into a stream it has already
   * destroyed (an unhandled error on Node 24). Busy or failing answers are retried; the request
   * timeout applies until the response starts, not to the whole (possibly long) body.
   */
  async read(key: string): Promise<Readable> {
    assertKey(key, 'read');
    const url = `${this.config.endpoint}/storage/v1/b/${encodeURIComponent(this.config.bucket)}/o/${encodeURIComponent(key)}?alt=media`;
    for (let attempt = 1; ; attempt++) {
      try {
        const { token } = await this.jwt.getAccessToken();
        const started = new AbortController();
        const timer = setTimeout(() => started.abort(new DOMException('the request timed out', 'TimeoutError')), this.requestTimeout);
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: started.signal }).finally(() => clearTimeout(timer));
        if (!res.ok || !res.body) throw await apiError(res);
        return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      } catch (error) {
        if (!isTransient(error) || attempt >= this.attempts) throw this.wrap(error, 'read', key);
        await sleep(Math.min(100 * 4 ** attempt, 5000));
      }
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertKey(key, 'stat');
    try {
      const [metadata] = await this.file(key).getMetadata();
      return {
        size: Number(metadata.size ?? 0),
        contentType: metadata.contentType,
        lastModified: metadata.updated ? new Date(metadata.updated) : undefined,
        metadata: Object.fromEntries(Object.entries(metadata.metadata ?? {}).map(([k, v]) => [k, String(v)])),
      };
    } catch (error) {
      const wrapped = this.wrap(error, 'stat', key);
      if (wrapped.code === 'NOT_FOUND') return null;
      throw wrapped;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    assertKey(key, 'delete');
    try {
      await this.file(key).delete();
    } catch (error) {
      const wrapped = this.wrap(error, 'delete', key);
      if (wrapped.code !== 'NOT_FOUND') throw wrapped;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    let pageToken: string | undefined;
    do {
      let files: File[];
      let next: { pageToken?: string } | null;
      try {
        [files, next] = await this.bucket.getFiles({ prefix, autoPaginate: false, maxResults: 1000, pageToken });
      } catch (error) {
        throw this.wrap(error, 'list', prefix);
      }
      for (const file of files) {
        const updated = file.metadata.updated;
        yield { key: file.name, size: Number(file.metadata.size ?? 0), lastModified: updated ? new Date(updated) : undefined };
      }
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  publicUrl(key: string): string | null {
    return publicObjectUrl(this.config.publicUrl, key);
  }

  /** A V4 signed GET link, signed here with the key (no request to Google); optionally served as a download. */
  async signedUrl(key: string, expiresInSeconds: number, options: { downloadName?: string } = {}): Promise<string> {
    assertKey(key, 'sign');
    try {
      const [url] = await this.file(key).getSignedUrl({
        version: 'v4',
        action: 'read',
        expires: Date.now() + expiresInSeconds * 1000,
        responseDisposition: options.downloadName ? attachment(options.downloadName) : undefined,
      });
      return url;
    } catch (error) {
      throw this.wrap(error, 'sign', key);
    }
  }

  /** Turns whatever the SDK, the token exchange or the network threw into a StorageError with a stable code. */
  wrap(error: unknown, operation: StorageOperation, key: string): StorageError {
    if (error instanceof StorageError) return error;
    const code = classify(error);
    const where = this.where(key);
    const messages: Record<StorageErrorCode, string> = {
      INVALID_CREDENTIALS: `Google Cloud refused the service-account key of ${this.config.clientEmail || 'the settings'}: check that the key is current and not deleted (${reasonOf(error)})`,
      BUCKET_NOT_FOUND: `Bucket "${this.config.bucket}" does not exist at ${this.config.endpoint}`,
      ACCESS_DENIED: `Permission denied to ${operation} ${where}: the service account lacks that permission on the bucket (${reasonOf(error)})`,
      ENDPOINT_UNREACHABLE: `Could not reach ${error instanceof TokenEndpointUnreachable ? error.tokenUri : this.config.endpoint} (${networkReason(error)})`,
      NOT_FOUND: `No object at ${where}`,
      INVALID_CONFIGURATION: `The bucket refused the request as invalid: ${reasonOf(error)}`,
      INVALID_KEY: `Invalid object key ${JSON.stringify(key)}`,
      CHECKSUM_MISMATCH:
        `Google Cloud Storage refused ${where} because the bytes it received did not match their MD5, every time it was sent: something ` +
        `between here and ${this.config.endpoint} alters data`,
      UNKNOWN:
        error instanceof TokenRefused
          ? `Could not ${operation} ${where}: the token endpoint ${error.tokenUri} did not issue an access token (HTTP ${error.status}${error.error ? `, ${reasonOf(error)}` : ''})` +
            (error.status === 429 || error.status >= 500 ? ': it is busy or failing, not refusing the key; try again later' : '')
          : `Could not ${operation} ${where}: ${reasonOf(error)}${statusOf(error) ? ` (HTTP ${statusOf(error)})` : ''}`,
    };
    // Only what the error says, never the error itself: the SDK's carry the request, its bearer token included.
    return new StorageError(code, operation, where, messages[code], { cause: { status: statusOf(error), reason: reasonOf(error) } });
  }
}

/**
 * google-auth-library's service-account client, exchanging its signed JWT at the key's own
 * token_uri: the library's token helper always posts to Google's, which a key for another
 * endpoint (a private universe, a test server) cannot use. Tokens are cached and refreshed by the
 * base class; signing URLs stays local (the key is the base class's).
 */
class TokenUriJwt extends JWT {
  constructor(
    private readonly tokenUri: string,
    email: string,
    key: string,
    private readonly timeoutMs: number,
  ) {
    super({ email, key, scopes: [SCOPE] });
  }

  protected override async refreshTokenNoCache(): Promise<{ res: null; tokens: Credentials }> {
    const now = Math.floor(Date.now() / 1000);
    const assertion = signJwt({ iss: this.email, scope: SCOPE, aud: this.tokenUri, iat: now, exp: now + 3600 }, this.key ?? '');
    const res = await fetch(this.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(this.timeoutMs * 4),
    }).catch((error: unknown) => {
      throw new TokenEndpointUnreachable(shownUri(this.tokenUri), error);
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (!res.ok || typeof body.access_token !== 'string') {
      const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);
      throw new TokenRefused(res.status, text(body.error), text(body.error_description), shownUri(this.tokenUri));
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    const tokens: Credentials = { access_token: body.access_token, token_type: 'Bearer', expiry_date: (now + expiresIn) * 1000 };
    this.emit('tokens', tokens);
    return { res: null, tokens };
  }
}

/** A JSON API error answer as the SDK's errors look (`code` = the HTTP status, Google's message), so one classification serves both. */
async function apiError(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: unknown; errors?: unknown } };
  const message = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
  return Object.assign(new Error(message), { code: res.status, errors: body.error?.errors });
}

/** The token endpoint as messages name it: scheme, host and path (a query or user info could carry a secret). */
const shownUri = (uri: string) => {
  try {
    const { origin, pathname } = new URL(uri);
    return `${origin}${pathname}`;
  } catch {
    return 'in the key';
  }
};

/** The token endpoint did not issue a token: a refused key (invalid_grant) or the endpoint's own trouble (429, 5xx). */
class TokenRefused extends Error {
  override readonly name = 'TokenRefused';

  constructor(
    readonly status: number,
    readonly error: string | undefined,
    readonly description: string | undefined,
    /** The endpoint that answered, named in messages: it may be another host than the storage API. */
    readonly tokenUri = '',
  ) {
    super(`${error ?? `HTTP ${status}`}${description ? `: ${description}` : ''}`);
  }

  /** The key itself was refused (a wrong, deleted or disabled key), as opposed to the endpoint failing. */
  get keyRefused(): boolean {
    return (
      (this.status === 400 || this.status === 401) &&
      (this.error === undefined || ['invalid_grant', 'unauthorized_client', 'invalid_client'].includes(this.error))
    );
  }
}

/** The token endpoint could not be reached: named, since it may be another host than the storage API. */
class TokenEndpointUnreachable extends Error {
  override readonly name = 'TokenEndpointUnreachable';

  constructor(
    readonly tokenUri: string,
    cause: unknown,
  ) {
    super(`the token endpoint ${tokenUri} could not be reached`, { cause });
  }
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** An RS256 JWT (RFC 7519) signed with the service account's private key. */
function signJwt(claims: Record<string, unknown>, privateKey: string): string {
  const unsigned = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url');
  } catch {
    // The key's private key did not load: the same as a key the token endpoint refuses (and never quoted).
    throw new TokenRefused(400, 'invalid_grant', 'the private key in the service-account key could not be used to sign');
  }
  return `${unsigned}.${signature}`;
}

/** Sends of one body before a checksum refusal fails the upload. */
const CHECKSUM_RESENDS = 3;

interface GoogleError {
  code?: number | string;
  status?: number;
  response?: { status?: number };
  errors?: { reason?: string; message?: string }[];
  message?: string;
}

const statusOf = (error: unknown): number | undefined => {
  const e = error as GoogleError | undefined;
  return typeof e?.code === 'number' ? e.code : (e?.response?.status ?? e?.status);
};

/**
 * The first line of the error as Google worded it (never a credential: Google's messages name the
 * account, not its key). On reads the SDK puts the raw JSON body in the message: its own message is taken out.
 */
function reasonOf(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  let reason = message;
  try {
    reason = String((JSON.parse(message) as { error?: { message?: unknown } }).error?.message ?? message);
  } catch {
    // not JSON: Google's words as they are
  }
  return reason.split('\n')[0]!.slice(0, 300);
}

/** GCS's answer to an upload whose bytes do not match the MD5 or CRC32C declared with it. */
const isChecksumRejection = (error: unknown) => statusOf(error) === 400 && /doesn't match calculated|do not match/i.test(String((error as Error)?.message));

/** A failure worth another try: the store or the token endpoint busy or failing (429, 408, 5xx), the connection dropped or stalled, or the SDK's own retries spent. */
const isTransient = (error: unknown) => {
  if ((error as Error)?.name === 'AbortError') return false;
  if ((error as Error)?.name === 'TimeoutError') return true;
  if (error instanceof TokenRefused) return !error.keyRefused;
  if (error instanceof TokenEndpointUnreachable) return true;
  const status = statusOf(error);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) return true;
  return networkCode(error) !== undefined || /Retry limit exceeded|timeout of \d+ms exceeded|network timeout/i.test(String((error as Error)?.message));
};

function classify(error: unknown): StorageErrorCode {
  const status = statusOf(error);
  const message = String((error as Error)?.message ?? '');
  if (error instanceof TokenRefused) return error.keyRefused ? 'INVALID_CREDENTIALS' : 'UNKNOWN';
  if (error instanceof TokenEndpointUnreachable) return 'ENDPOINT_UNREACHABLE';
  if (status === 401) return 'INVALID_CREDENTIALS';
  if (isChecksumRejection(error)) return 'CHECKSUM_MISMATCH';
  if (status === 404) return /bucket does not exist/i.test(message) ? 'BUCKET_NOT_FOUND' : 'NOT_FOUND';
  if (status === 403) return 'ACCESS_DENIED';
  if (status === 400) return 'INVALID_CONFIGURATION';
  if (networkCode(error) || (error as Error)?.name === 'TimeoutError' || (error as { code?: unknown })?.code === 'ETIMEDOUT') return 'ENDPOINT_UNREACHABLE';
  return 'UNKNOWN';
}
