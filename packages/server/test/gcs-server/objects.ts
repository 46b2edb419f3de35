// What the JSON and XML handlers share: resources as GCS renders them, preconditions, the
// permission an overwrite needs, object-name rules and checksum verification.
import type { Account, Accounts } from './auth.js';
import { bucketNotFound, invalid, preconditionFailed, uniformAccessAcl } from './errors.js';
import type { BucketRecord, ObjectFields, ObjectRecord, Store } from './store.js';

export type Caller = Account | 'anonymous';

const encodeName = (name: string) => encodeURIComponent(name);

/** GCS's etag: base64 of a protobuf (field 1 generation, field 2 metageneration), e.g. "CJmB5oa+7IIDEAE=". */
export function etagOf(object: ObjectRecord): string {
  const varint = (value: number): number[] => {
    const bytes: number[] = [];
    let v = BigInt(value);
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    return bytes;
  };
  return Buffer.from([0x08, ...varint(object.generation), 0x10, ...varint(object.metageneration)]).toString('base64');
}

export function objectResource(object: ObjectRecord, baseUrl: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeName(object.name)}`;
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
    md5Hash: object.md5,
    crc32c: object.crc32c,
    etag: etagOf(object),
    timeCreated: object.created.toISOString(),
    updated: object.updated.toISOString(),
    timeStorageClassUpdated: object.created.toISOString(),
    timeFinalized: object.created.toISOString(),
    ...(object.cacheControl !== undefined ? { cacheControl: object.cacheControl } : {}),
    ...(object.contentDisposition !== undefined ? { contentDisposition: object.contentDisposition } : {}),
    ...(object.contentEncoding !== undefined ? { contentEncoding: object.contentEncoding } : {}),
    ...(object.contentLanguage !== undefined ? { contentLanguage: object.contentLanguage } : {}),
    ...(object.metadata && Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}

export function bucketResource(bucket: BucketRecord, baseUrl: string): Record<string, unknown> {
  const created = bucket.created.toISOString();
  return {
    kind: 'storage#bucket',
    selfLink: `${baseUrl}/storage/v1/b/${encodeURIComponent(bucket.name)}`,
    id: bucket.name,
    name: bucket.name,
    projectNumber: '123456789012',
    metageneration: '1',
    location: 'US',
    storageClass: 'STANDARD',
    etag: 'CAE=',
    timeCreated: created,
    updated: created,
    iamConfiguration: {
      bucketPolicyOnly: { enabled: true, lockedTime: new Date(bucket.created.getTime() + 90 * 86400_000).toISOString() },
      uniformBucketLevelAccess: { enabled: true, lockedTime: new Date(bucket.created.getTime() + 90 * 86400_000).toISOString() },
      publicAccessPrevention: bucket.public ? 'inherited' : 'enforced',
    },
    locationType: 'multi-region',
    rpo: 'DEFAULT',
  };
}

export function requireBucket(store: Store, name: string): BucketRecord {
  const bucket = store.buckets.get(name);
  if (!bucket) throw bucketNotFound();
  return bucket;
}

/** ifGenerationMatch (0: must not exist), ifGenerationNotMatch, ifMetagenerationMatch, ifMetagenerationNotMatch. */
export function checkPreconditions(query: URLSearchParams, existing: ObjectRecord | undefined): void {
  const number = (name: string) => (query.has(name) ? Number(query.get(name)) : undefined);
  const generation = existing?.generation ?? 0;
  const ifGenerationMatch = number('ifGenerationMatch');
  const ifGenerationNotMatch = number('ifGenerationNotMatch');
  const ifMetagenerationMatch = number('ifMetagenerationMatch');
  const ifMetagenerationNotMatch = number('ifMetagenerationNotMatch');
  if (ifGenerationMatch !== undefined && ifGenerationMatch !== generation) throw preconditionFailed();
  if (ifGenerationNotMatch !== undefined && ifGenerationNotMatch === generation) throw preconditionFailed();
  if (ifMetagenerationMatch !== undefined && ifMetagenerationMatch !== existing?.metageneration) throw preconditionFailed();
  if (ifMetagenerationNotMatch !== undefined && existing && ifMetagenerationNotMatch === existing.metageneration) throw preconditionFailed();
}

/** Preconditions a resumable session carries from its initiation to its finalization. */
export const preconditionParams = (query: URLSearchParams) =>
  new URLSearchParams([...query].filter(([name]) => /^if(Generation|Metageneration)(Not)?Match$/.test(name)));

/** Writing bucket/name needs storage.objects.create, and storage.objects.delete as well when it replaces an object. */
export function requireWrite(accounts: Accounts, caller: Caller, bucket: BucketRecord, name: string, api: 'json' | 'xml' = 'json'): void {
  accounts.require(caller, 'storage.objects.create', bucket, api);
  if (bucket.objects.has(name)) accounts.require(caller, 'storage.objects.delete', bucket, api);
}

/** GCS's object-name rules (https://cloud.google.com/storage/docs/objects#naming), with its texts. */
export function validateName(name: string | null | undefined): string {
  if (!name) throw invalid('Required', 'required');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > 1024) throw invalid(`The maximum object length is 1024 characters, but got a name with ${bytes} characters: ''${name.slice(0, 64)}...''`);
  if (name === '.' || name === '..') throw invalid(`Object name '${name}' is not allowed.`);
  if (/[\r\n]/.test(name)) throw invalid('Object name contains a carriage return or line feed character.');
  if (name.startsWith('.well-known/acme-challenge/')) throw invalid(`Object name '${name}' is reserved.`);
  return name;
}

const optionalString = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/** The writable fields of an object resource sent with an upload or a patch; ACLs are refused (uniform access). */
export function objectFieldsFrom(resource: Record<string, unknown>): ObjectFields {
  if (resource.acl !== undefined) throw uniformAccessAcl();
  const fields: ObjectFields = {
    contentType: optionalString(resource.contentType),
    cacheControl: optionalString(resource.cacheControl),
    contentDisposition: optionalString(resource.contentDisposition),
    contentEncoding: optionalString(resource.contentEncoding),
    contentLanguage: optionalString(resource.contentLanguage),
  };
  if (resource.metadata && typeof resource.metadata === 'object') {
    fields.metadata = Object.fromEntries(
      Object.entries(resource.metadata as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ObjectFields;
}

export interface DeclaredHashes {
  md5?: string;
  crc32c?: string;
}

/** Hashes declared in an object resource (md5Hash, crc32c). */
export const declaredIn = (resource: Record<string, unknown>): DeclaredHashes => ({
  md5: optionalString(resource.md5Hash),
  crc32c: optionalString(resource.crc32c),
});

/** `X-Goog-Hash: crc32c=…,md5=…` (one header, or several). */
export function parseGoogHash(header: string | string[] | undefined): DeclaredHashes {
  const declared: DeclaredHashes = {};
  for (const part of [header ?? []].flat().flatMap((h) => h.split(','))) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (name === 'md5') declared.md5 = value;
    if (name === 'crc32c') declared.crc32c = value;
  }
  return declared;
}

/** GCS refuses an upload whose bytes do not match a hash the client declared, before the object is created. */
export function verifyChecksums(actual: { md5: string; crc32c: string }, ...declared: DeclaredHashes[]): void {
  for (const d of declared) {
    if (d.md5 !== undefined && d.md5 !== actual.md5) throw invalid(`Provided MD5 hash "${d.md5}" doesn't match calculated MD5 hash "${actual.md5}".`);
    if (d.crc32c !== undefined && d.crc32c !== actual.crc32c)
      throw invalid(`Provided CRC32C "${d.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`);
  }
}

/** Any predefined (legacy) ACL on a write is refused on a uniform-access bucket. */
export function refuseLegacyAcl(query: URLSearchParams): void {
  if (query.has('predefinedAcl') || query.has('predefinedDefaultObjectAcl')) throw uniformAccessAcl();
}
