// Google Cloud Storage for the tests: the suite's GCS test server (test/gcs-server, started by
// global-setup.ts) or, with GCS_TEST_BUCKET and GCS_TEST_KEY_FILE set, a real bucket.
//
// HOW THE SDK MUST BE BUILT (@google-cloud/storage 7.22.0, google-auth-library 9.15.1, gtoken 7.1.0),
// found by reading their code and proven in gcs-server.test.ts:
//
// 1. The key's token_uri is IGNORED by the SDK, whichever way the key is given. `credentials`
//    (even with token_uri in it), `keyFilename` and `fromJSON` all build a JWT client that keeps
//    client_email, private_key, private_key_id, project_id and universe_domain only; gtoken then
//    POSTs the JWT-bearer grant to its constant https://www.googleapis.com/oauth2/v4/token (with
//    that URL as the JWT's `aud`). For real keys that is harmless (token_uri is Google's anyway).
//    To honour another token_uri, give the JWT client's transport an adapter that sends that one
//    request elsewhere: `clientOptions: { transporterOptions: { adapter } }` (see gcsStorageOptions).
//    The test server accepts Google's token URLs as `aud`, as Google does.
// 2. `useAuthWithCustomEndpoint: true` with `apiEndpoint`, or no credentials are sent at all.
// 3. Even so, save()/createWriteStream() with `resumable` (the default for streams) sends the
//    session-initiation POST WITHOUT credentials when apiEndpoint is not a *.googleapis.com host:
//    File#startResumableUpload_ does not pass useAuthWithCustomEndpoint on (createResumableUpload
//    does). Against the test server that is a 401, as GCS would answer an anonymous upload. So:
//    open the session with file.createResumableUpload() (authenticated) and pass its URI as `uri`
//    to save()/createWriteStream(); the session URI is its own credential, in GCS as here. That
//    works unchanged against storage.googleapis.com (see resumableSave).
// 4. Retries. With the default idempotencyStrategy (RetryConditional), save()/createWriteStream()
//    without preconditionOpts.ifGenerationMatch turn retries off: a resumable upload is then
//    never resumed after a cut connection (maxRetries forced to 0), and, worse, File#save sets
//    storage.retryOptions.autoRetry = false on the shared Storage and does not restore it, so
//    every later call on that Storage (getMetadata, download…) stops retrying 503s. Either pass
//    ifGenerationMatch (0 for "must not exist") or use IdempotencyStrategy.RetryAlways, as
//    gcsStorageOptions does (an upload of the same bytes is safe to repeat).
// 5. Signed URLs: file.getSignedUrl({ version: 'v4', action: 'read', expires }) builds
//    `${apiEndpoint}/<bucket>/<object>?X-Goog-Algorithm=GOOG4-RSA-SHA256&…` (path style) and signs
//    it locally with the key (no IAM call); public URLs are `${apiEndpoint}/<bucket>/<object>`.
//    The server serves both on those paths.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdempotencyStrategy, Storage, type File, type StorageOptions } from '@google-cloud/storage';
import { inject } from 'vitest';
import type { ServiceAccountKey, Role } from './gcs-server/auth.js';
import type { Fault, FaultSpec, RequestLogEntry } from './gcs-server/faults.js';
import { TEST_BUCKETS } from './gcs-server/test-buckets.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The GCS test server's URL (see global-setup.ts). */
    gcsEndpoint: string;
  }
}

export type GcsServiceAccountKey = ServiceAccountKey;
export type GcsRole = Role;
export type { FaultSpec as GcsFaultSpec, RequestLogEntry as GcsRequestLogEntry };

export const GCS_TEST_BUCKET = TEST_BUCKETS.private;
export const GCS_PUBLIC_BUCKET = TEST_BUCKETS.public;

/** Where the SDK's JWT client sends the token exchange, whatever the key's token_uri says (gtoken 7's constant). */
export const SDK_TOKEN_URL = 'https://www.googleapis.com/oauth2/v4/token';

export const NO_GCS_EMULATOR = 'needs the GCS test server (fault injection, other accounts, admin access): GCS_TEST_BUCKET points the suite at real GCS';

export interface GcsTestTarget {
  endpoint: string;
  /** Private bucket (uniform bucket-level access). */
  bucket: string;
  /** Readable by allUsers; absent on real GCS unless GCS_TEST_PUBLIC_BUCKET names one. */
  publicBucket?: string;
  /** roles/storage.admin. */
  full: GcsServiceAccountKey;
  /** roles/storage.objectViewer (get, list); test server only. */
  reader?: GcsServiceAccountKey;
  /** roles/storage.objectCreator (create only: no read, list, delete or overwrite); test server only. */
  writer?: GcsServiceAccountKey;
  /** True for the test server: admin helpers (gcsAdmin, newGcsAccount) work only there. */
  emulated: boolean;
}

/** The test server's URL: provided by global-setup, or GCS_TEST_ENDPOINT in processes started by tests. */
export function gcsEmulatorEndpoint(): string {
  let provided: string | undefined;
  try {
    provided = inject('gcsEndpoint');
  } catch {
    // not inside a vitest worker
  }
  const endpoint = provided ?? process.env.GCS_TEST_ENDPOINT;
  if (!endpoint) throw new Error('No GCS test server: run under vitest (global-setup.ts starts one) or set GCS_TEST_ENDPOINT.');
  return endpoint;
}

let emulatedTarget: Promise<GcsTestTarget> | undefined;

/**
 * The GCS the suite runs against. Real GCS when GCS_TEST_BUCKET and GCS_TEST_KEY_FILE are set
 * (reader and writer then absent); otherwise the test server, with one account per role,
 * created once per test process.
 */
export function gcsTestTarget(): Promise<GcsTestTarget> {
  const { GCS_TEST_BUCKET: realBucket, GCS_TEST_KEY_FILE: keyFile, GCS_TEST_PUBLIC_BUCKET: publicBucket } = process.env;
  if (realBucket && keyFile) {
    const full = JSON.parse(readFileSync(keyFile, 'utf8')) as GcsServiceAccountKey;
    return Promise.resolve({ endpoint: 'https://storage.googleapis.com', bucket: realBucket, publicBucket, full, emulated: false });
  }
  emulatedTarget ??= (async () => {
    const [full, reader, writer] = await Promise.all([newGcsAccount('admin'), newGcsAccount('objectViewer'), newGcsAccount('objectCreator')]);
    return { endpoint: gcsEmulatorEndpoint(), bucket: GCS_TEST_BUCKET, publicBucket: GCS_PUBLIC_BUCKET, full, reader, writer, emulated: true };
  })();
  return emulatedTarget;
}

/** A new service account on the test server with `role` (on every bucket, or only on `buckets`), and its key. */
export function newGcsAccount(role: GcsRole, buckets?: string[]): Promise<GcsServiceAccountKey> {
  return admin<GcsServiceAccountKey>('POST', 'accounts', { role, buckets });
}

const isGoogleHost = (url: string) => /(^|\.)googleapis\.com$/.test(new URL(url).hostname);

/**
 * Storage options that make the SDK talk to `endpoint` as `key`, honouring the key's token_uri
 * (see the notes at the top of this file). What the driver needs to do the same.
 */
export function gcsStorageOptions(endpoint: string, key: GcsServiceAccountKey, extra: StorageOptions = {}): StorageOptions {
  const tokenUri = key.token_uri;
  const redirectToken = tokenUri && !isGoogleHost(tokenUri);
  return {
    apiEndpoint: endpoint,
    useAuthWithCustomEndpoint: true,
    projectId: key.project_id,
    credentials: { client_email: key.client_email, private_key: key.private_key },
    ...(redirectToken
      ? {
          clientOptions: {
            transporterOptions: {
              // Only the token exchange is redirected; every other request of the client passes unchanged.
              adapter: (options, defaultAdapter) => defaultAdapter(String(options.url) === SDK_TOKEN_URL ? { ...options, url: tokenUri } : options),
            },
          },
        }
      : {}),
    // Quick retries: the SDK's 1 s floor (async-retry's minTimeout) rules out anything shorter.
    // RetryAlways: see note 4 above.
    retryOptions: { maxRetries: 3, retryDelayMultiplier: 1, maxRetryDelay: 1, totalTimeout: 30, idempotencyStrategy: IdempotencyStrategy.RetryAlways },
    ...extra,
  };
}

export function gcsStorage(endpoint: string, key: GcsServiceAccountKey, extra?: StorageOptions): Storage {
  return new Storage(gcsStorageOptions(endpoint, key, extra));
}

/**
 * A resumable upload that works against a custom endpoint as against GCS: the session is opened
 * by createResumableUpload (which authenticates) and its URI handed to save (see note 3 above).
 */
export async function resumableSave(
  file: File,
  data: Buffer | string,
  options: { chunkSize?: number; contentType?: string; metadata?: Record<string, unknown> } = {},
) {
  const metadata = { ...(options.contentType ? { contentType: options.contentType } : {}), ...options.metadata };
  const [uri] = await file.createResumableUpload({ metadata });
  await file.save(data, { resumable: true, uri, chunkSize: options.chunkSize, metadata });
  return uri;
}

/** The same account and key id with a different private key: what a stolen email without the key looks like. */
export function forgedGcsKey(key: GcsServiceAccountKey): GcsServiceAccountKey {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { ...key, private_key: privateKey };
}

async function admin<T>(method: string, path: string, body?: unknown, raw?: { body: Buffer; contentType?: string }): Promise<T> {
  const response = await fetch(`${gcsEmulatorEndpoint()}/_emulator/${path}`, {
    method,
    headers: raw ? { 'content-type': raw.contentType ?? 'application/octet-stream' } : body === undefined ? {} : { 'content-type': 'application/json' },
    body: raw ? new Blob([new Uint8Array(raw.body)]) : body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`GCS test server admin ${method} ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Faults are tagged with the test process that added them: test files running at the same time run in different processes. */
const FAULT_OWNER = `pid-${process.pid}`;

const objectPath = (bucket: string, name: string) => `objects/${encodeURIComponent(bucket)}/${encodeURIComponent(name)}`;

export interface GcsObjectInfo {
  bucket: string;
  name: string;
  size: number;
  generation: number;
  metageneration: number;
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
  /** What the object resource says (and X-Goog-Hash sends). */
  recorded: { md5: string; crc32c: string };
  /** What the stored bytes hash to now (differs after bit rot). */
  actual: { md5: string; crc32c: string; size: number };
}

export interface GcsServerStats {
  rss: number;
  /** Since the mark asked about (or the current RSS without one). */
  peakRss: number;
  heapUsed: number;
  requests: number;
  uploadSessions: number;
  objects: number;
}

/** The test server's admin API (/_emulator), for reaching behind the driver's back. Test server only. */
export const gcsAdmin = {
  createBucket: (name: string, options: { public?: boolean } = {}) =>
    admin<{ name: string; public: boolean }>('POST', 'buckets', { name, public: options.public ?? false }),
  deleteBucket: (name: string) => admin<void>('DELETE', `buckets/${encodeURIComponent(name)}`),
  /** A second key for the account (rotation); both work until one is deleted. */
  addKey: (email: string) => admin<GcsServiceAccountKey>('POST', `accounts/${encodeURIComponent(email)}/keys`),
  deleteKey: (email: string, keyId: string) => admin<void>('DELETE', `accounts/${encodeURIComponent(email)}/keys/${keyId}`),
  /** Deletes the service account: token exchange fails ("account not found") and its access tokens stop working. */
  revokeAccount: (email: string) => admin<void>('DELETE', `accounts/${encodeURIComponent(email)}`),
  /** The stored object's state, or undefined when there is none. */
  objectInfo: async (bucket: string, name: string): Promise<GcsObjectInfo | undefined> => {
    const response = await fetch(`${gcsEmulatorEndpoint()}/_emulator/${objectPath(bucket, name)}/info`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`objectInfo: ${response.status} ${await response.text()}`);
    return (await response.json()) as GcsObjectInfo;
  },
  /** The stored bytes, read raw (no API, no permissions, no checks). */
  readObject: async (bucket: string, name: string): Promise<Buffer | undefined> => {
    const response = await fetch(`${gcsEmulatorEndpoint()}/_emulator/${objectPath(bucket, name)}`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`readObject: ${response.status} ${await response.text()}`);
    return Buffer.from(await response.arrayBuffer());
  },
  /** "replace": someone else wrote the object (new generation, hashes recomputed); "bitrot": the bytes change, the recorded hashes do not. */
  plantObject: (bucket: string, name: string, bytes: Buffer, mode: 'replace' | 'bitrot' = 'replace', contentType?: string) =>
    admin<GcsObjectInfo>('PUT', `${objectPath(bucket, name)}?mode=${mode}`, undefined, { body: bytes, contentType }),
  /** Bit rot of one stored byte (inverted); the recorded hashes stay, so readers that verify notice. */
  flipStoredByte: (bucket: string, name: string, at = 0) => admin<GcsObjectInfo>('POST', `${objectPath(bucket, name)}/flip?at=${at}`),
  deleteObject: (bucket: string, name: string) => admin<void>('DELETE', objectPath(bucket, name)),
  /** Adds a fault, owned by this test process (see clearFaults). Match on `object` so files running alongside are not hit. */
  addFault: (spec: FaultSpec) => admin<Fault>('POST', 'faults', { owner: FAULT_OWNER, ...spec }),
  removeFault: (id: number) => admin<void>('DELETE', `faults/${id}`),
  faults: async () => (await admin<{ faults: Fault[] }>('GET', 'faults')).faults,
  /** Removes the faults this test process added (those of test files running in parallel stay). */
  clearFaults: () => admin<void>('DELETE', `faults?owner=${encodeURIComponent(FAULT_OWNER)}`),
  /** Logged requests after sequence number `since`, optionally only those about one bucket/object. */
  requests: async (filter: { since?: number; bucket?: string; object?: string } = {}) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) query.set(k, String(v));
    return (await admin<{ entries: RequestLogEntry[] }>('GET', `requests?${query}`)).entries;
  },
  /** The sequence number of the last logged request: pass it as `since` to see only what follows. */
  lastRequest: async () => (await admin<{ last: number }>('GET', 'requests?since=999999999999')).last,
  /** Server figures; with a mark (from resetStats), peakRss is the server's peak RSS since then. */
  stats: (mark?: number) => admin<GcsServerStats>('GET', mark === undefined ? 'stats' : `stats?mark=${mark}`),
  /** Starts a peak-RSS measurement of this caller's own; pass the returned mark to stats(). */
  resetStats: () => admin<GcsServerStats & { mark: number }>('POST', 'stats/mark'),
};
