import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { networkCode, networkReason, StorageError, type StorageErrorCode, type StorageOperation } from './errors.js';
import { assertKey, publicObjectUrl } from './keys.js';
import { BufferPools } from './buffer-pool.js';
import { attachment, ChecksumProbe, compareReadBack, readExactly, writeVerified } from './files.js';
import type { BucketDriver, DriverTuning, ListedObject, ObjectStat, WriteOptions, WrittenFile } from './driver.js';

export interface S3DriverConfig extends DriverTuning {
  /** Undefined: the SDK's AWS endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Base URL objects are publicly served from; '' when there is none. */
  publicUrl: string;
}

const MiB = 1024 * 1024;

/** One driver for every S3-compatible provider; R2, Amazon S3 and Wasabi are presets of it. */
export class S3Driver implements BucketDriver {
  readonly client: S3Client;

  constructor(
    readonly config: S3DriverConfig,
    private readonly pools = new BufferPools(),
  ) {
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      forcePathStyle: config.forcePathStyle,
      // Recent SDKs send CRC32 trailers (aws-chunked) by default, which R2, Wasabi and Ceph
      // have rejected and some stores silently store inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Uploads go straight out: waiting for "100 Continue" before every body costs a round trip
      // per object and part, to save bandwidth only when a request is refused.
      expectContinueHeader: false,
      maxAttempts: config.maxAttempts ?? 3,
      // Without throwOnRequestTimeout the handler only warns, and a stalled store holds an upload forever.
      requestHandler: {
        connectionTimeout: config.connectionTimeoutMs ?? 5000,
        requestTimeout: config.requestTimeoutMs ?? 120_000,
        throwOnRequestTimeout: true,
      },
    });
  }

  where(key: string) {
    return `${this.config.bucket}/${key}`;
  }

  async writeFile(key: string, file: string, options: WriteOptions): Promise<WrittenFile> {
    assertKey(key, 'write');
    return writeVerified(this, key, file, options, (handle, stat) => {
      const partSize = partSizeFor(stat.size, this.config.partSize ?? 8 * MiB);
      return stat.size <= partSize ? this.putFile(key, handle, stat.size, partSize, options) : this.multipartFile(key, handle, stat.size, partSize, options);
    });
  }

  /** One PUT: the file read once into a pooled buffer and hashed there; that hash signs the body, so the store checks every byte. */
  private async putFile(key: string, handle: FileHandle, size: number, bufferSize: number, options: WriteOptions): Promise<Omit<WrittenFile, 'verification'>> {
    const pool = this.pools.of(bufferSize);
    const buffer = pool.take();
    const body = await readExactly(handle, buffer, size, 0).catch((error) => {
      pool.give(buffer);
      throw error;
    });
    const sha256 = createHash('sha256').update(body).digest('hex');
    await this.sendVerified(key, () => this.put(key, body, sha256, options));
    // Only after a response: a request that failed or timed out may still hold the buffer, which then goes to the garbage collector instead.
    pool.give(buffer);
    return { size, sha256 };
  }

  /**
   * Multipart, reading the file once: `queueSize` parts at a time are read into pooled buffers,
   * in order, so the whole file's SHA-256 is computed from the very bytes that are sent. Each
   * part is signed with its own SHA-256, which the store checks on receipt; completion names
   * exactly the parts the store accepted (their ETags), and the object's size is checked after.
   * The whole-file hash is known only at the end, so multipart objects carry no `sha256` metadata.
   */
  private async multipartFile(
    key: string,
    handle: FileHandle,
    size: number,
    partSize: number,
    options: WriteOptions,
  ): Promise<Omit<WrittenFile, 'verification'>> {
    const pool = this.pools.of(partSize);
    const whole = createHash('sha256');
    const Bucket = this.config.bucket;
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: options.contentType, CacheControl: options.cacheControl, Metadata: options.metadata }),
    );
    const parts: CompletedPart[] = [];
    const count = Math.ceil(size / partSize);
    let next = 0;
    let failed = false;
    // Reads are chained in part order: the whole-file hash sees the parts in order.
    let reading: Promise<unknown> = Promise.resolve();
    const lane = async () => {
      while (!failed && next < count) {
        options.signal?.throwIfAborted();
        const index = next++;
        const buffer = pool.take();
        try {
          const body = buffer.subarray(0, Math.min(partSize, size - index * partSize));
          const read = reading.then(async () => whole.update(await readExactly(handle, buffer, body.length, index * partSize)));
          reading = read;
          await read;
          const partSha256 = createHash('sha256').update(body).digest('hex');
          const PartNumber = index + 1;
          const { ETag } = await this.sendVerified(key, () =>
            this.client.send(
              withPayloadHash(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length }), partSha256),
              { abortSignal: options.signal },
            ),
          );
          if (!ETag)
            throw new StorageError(
              'UNKNOWN',
              'write',
              this.where(key),
              `The store accepted part ${PartNumber} of ${this.where(key)} without an ETag, so the upload cannot be completed from verified parts`,
            );
          parts[index] = { PartNumber, ETag };
          pool.give(buffer);
        } catch (error) {
          // The buffer is not reused: a request that failed or timed out may still be writing it.
          failed = true;
          throw error;
        }
      }
    };
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(this.config.queueSize ?? 2, count) }, lane));
    const rejected = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (rejected) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => undefined);
      throw rejected.reason;
    }
    // Completion names each part by the ETag the store returned when it accepted (and checked) it: a part that differs fails with InvalidPart.
    const completed = await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    const head = await this.client.send(new HeadObjectCommand({ Bucket, Key: key }));
    const etag = head.ETag ?? completed.ETag ?? '';
    const assembledFrom = /-(\d+)"?$/.exec(etag)?.[1];
    if (head.ContentLength !== size || (assembledFrom && Number(assembledFrom) !== count)) {
      throw new StorageError(
        'CHECKSUM_MISMATCH',
        'write',
        this.where(key),
        `The store assembled ${this.where(key)} as ${head.ContentLength} bytes${assembledFrom ? ` from ${assembledFrom} parts` : ''}, ` +
          `expected ${size} bytes from ${count} parts`,
      );
    }
    return { size, sha256: whole.digest('hex') };
  }

  /**
   * Sends a request whose body the store checks. A body rejected for not matching its checksum was
   * damaged on the way: it is sent again (the bytes we hold are the ones we hashed), a few times.
   */
  private async sendVerified<T>(key: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (!CHECKSUM_REJECTIONS.has(errorName(error)) || attempt >= CHECKSUM_RESENDS) throw this.wrap(error, 'write', key);
      }
    }
  }

  /** A PUT of an in-memory body whose SHA-256 is known: the SDK signs with it instead of hashing again, and the store checks it. */
  private async put(key: string, body: Buffer, sha256: string, options: WriteOptions): Promise<void> {
    const command = new PutObjectCommand({
      Bucket: this.config.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      Metadata: { ...options.metadata, sha256 },
    });
    // No ACL: ACL-disabled S3 buckets and R2 reject them.
    await this.client.send(withPayloadHash(command, sha256), { abortSignal: options.signal });
  }

  /**
   * Whether this store refuses a body that does not match its signed SHA-256, asked of the store
   * itself once per driver: a small PUT next to `near` that claims another body's hash. Stores that
   * check (Amazon S3, MinIO, Ceph RGW: `XAmzContentSHA256Mismatch`) refuse it, and uploads count as
   * verified on their word; one that accepts it verifies nothing, so its uploads are read back.
   * Null when the store's answer said neither (an outage, a denial): not remembered, asked again.
   */
  storeVerifiesChecksums(near: string): Promise<boolean | null> {
    return this.probe.verifies(near);
  }

  private readonly probe = new ChecksumProbe((near) => this.askStoreToVerify(near));

  private async askStoreToVerify(near: string): Promise<boolean | null> {
    const probe = `${near.slice(0, near.lastIndexOf('/') + 1)}.offload-checksum-check-${randomUUID()}`;
    const body = Buffer.from('Offload checks that this store verifies upload checksums.\n');
    const otherSha256 = createHash('sha256').update('not this body').digest('hex');
    try {
      await this.put(probe, body, otherSha256, { contentType: 'text/plain', cacheControl: 'no-store' });
    } catch (error) {
      return CHECKSUM_REJECTIONS.has(errorName(error)) ? true : null;
    }
    await this.delete(probe).catch(() => undefined);
    return false;
  }

  /**
   * A server-side copy from `source`'s bucket (same store, same key) of an object up to 5 GiB:
   * the bytes never cross the network to us and back. Conditional on the source being the object
   * just seen (its ETag); then the copy is read back and must hash to the SHA-256 recorded for the
   * result — the store's bytes, not its word, are the evidence (a source that rotted is not copied
   * on as good). Null where a server-side copy cannot apply (another store or key, too big): the caller streams instead.
   */
  async copyFrom(source: BucketDriver, sourceKey: string, key: string, expected: { size: number; sha256: string }): Promise<WrittenFile | null> {
    assertKey(key, 'write');
    // The same store and the same key (the copy never leaves the store), and within CopyObject's 5 GiB.
    const sameStore = source instanceof S3Driver && source.config.endpoint === this.config.endpoint && source.config.accessKeyId === this.config.accessKeyId;
    if (!sameStore || expected.size > 5 * 1024 ** 3) return null;
    try {
      const head = await source.client.send(new HeadObjectCommand({ Bucket: source.config.bucket, Key: sourceKey }));
      const CopySource = `${source.config.bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.config.bucket, Key: key, CopySource, CopySourceIfMatch: head.ETag, MetadataDirective: 'COPY' }),
      );
    } catch (error) {
      throw this.wrap(error, 'write', key);
    }
    try {
      await compareReadBack(this, key, expected);
    } catch (error) {
      await this.delete(key).catch(() => undefined);
      if (!StorageError.is(error, 'CHECKSUM_MISMATCH')) throw error;
      const where = source.where(sourceKey);
      throw new StorageError(
        'CHECKSUM_MISMATCH',
        'write',
        where,
        `${where} does not match the SHA-256 recorded for it (${expected.sha256.slice(0, 12)}…): its copy was not kept`,
      );
    }
    return { ...expected, verification: 'read-back' };
  }

  /** Small in-memory bodies (connection-test probes) in one request. */
  async writeBuffer(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    assertKey(key, 'write');
    try {
      await this.put(key, body, createHash('sha256').update(body).digest('hex'), options);
    } catch (error) {
      throw this.wrap(error, 'write', key);
    }
  }

  async read(key: string): Promise<Readable> {
    assertKey(key, 'read');
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return res.Body as Readable;
    } catch (error) {
      throw this.wrap(error, 'read', key);
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertKey(key, 'stat');
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType, lastModified: head.LastModified, metadata: head.Metadata ?? {} };
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
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }));
    } catch (error) {
      const wrapped = this.wrap(error, 'delete', key);
      if (wrapped.code !== 'NOT_FOUND') throw wrapped;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (error) {
        throw this.wrap(error, 'list', prefix);
      }
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  publicUrl(key: string): string | null {
    return publicObjectUrl(this.config.publicUrl, key);
  }

  /** A time-limited GET link, for buckets with no public URL; optionally served as a download. */
  async signedUrl(key: string, expiresInSeconds: number, options: { downloadName?: string } = {}): Promise<string> {
    assertKey(key, 'sign');
    const disposition = options.downloadName ? attachment(options.downloadName) : undefined;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.config.bucket, Key: key, ResponseContentDisposition: disposition }), {
      expiresIn: expiresInSeconds,
    });
  }

  /** Turns whatever the SDK or the network threw into a StorageError with a stable code. */
  wrap(error: unknown, operation: StorageOperation, key: string): StorageError {
    if (error instanceof StorageError) return error;
    const code = classify(error);
    const where = this.where(key);
    const endpoint = this.config.endpoint ?? `the AWS endpoint for ${this.config.region}`;
    const messages: Record<StorageErrorCode, string> = {
      INVALID_CREDENTIALS: `The bucket rejected the credentials: check the Access Key ID and Secret Access Key (${errorName(error)})`,
      BUCKET_NOT_FOUND: `Bucket "${this.config.bucket}" does not exist at ${endpoint}`,
      ACCESS_DENIED: `Permission denied to ${operation} ${where}: the key lacks that permission on the bucket`,
      ENDPOINT_UNREACHABLE: `Could not reach ${endpoint} (${networkReason(error)})`,
      NOT_FOUND: `No object at ${where}`,
      INVALID_CONFIGURATION: `The storage settings are invalid: ${errorName(error)}`,
      INVALID_KEY: `Invalid object key ${JSON.stringify(key)}`,
      CHECKSUM_MISMATCH:
        `The store rejected ${where} because the bytes it received did not match their checksum (${errorName(error)}), every time it ` +
        `was sent: something between here and ${endpoint} alters data`,
      UNKNOWN: `Could not ${operation} ${where}: ${errorName(error)}${httpStatus(error) ? ` (HTTP ${httpStatus(error)})` : ''}`,
    };
    return new StorageError(code, operation, where, messages[code], { cause: error });
  }
}

/** The configured part size, at least S3's 5 MiB minimum, grown (in whole MiB) when the file would need more than 10,000 parts. */
export const partSizeFor = (fileSize: number, configured: number) => Math.max(5 * MiB, configured, Math.ceil(fileSize / 10_000 / MiB) * MiB);

/** How stores name a body that does not match the checksum it was sent with. */
const CHECKSUM_REJECTIONS = new Set(['XAmzContentSHA256Mismatch', 'BadDigest', 'InvalidDigest']);
/** Sends of one body before a checksum rejection fails the upload. */
const CHECKSUM_RESENDS = 3;

/**
 * Signs the request with this payload hash (x-amz-content-sha256) instead of letting the SDK
 * hash an in-memory body again. SigV4 stores check the body against it on receipt.
 */
function withPayloadHash<C extends { middlewareStack: { add: (...args: never[]) => void } }>(command: C, payloadHash: string): C {
  (command as unknown as PutObjectCommand).middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = payloadHash;
      return next(args);
    },
    { step: 'build', name: 'offloadPayloadHash' },
  );
  return command;
}

const httpStatus = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const errorName = (error: unknown) => (error instanceof S3ServiceException ? error.name : error instanceof Error ? error.name : String(error));

function classify(error: unknown): StorageErrorCode {
  const name = (error as Error)?.name ?? '';
  const status = httpStatus(error);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed', 'InvalidSecurity'].includes(name))
    return 'INVALID_CREDENTIALS';
  if (name === 'NoSuchBucket') return 'BUCKET_NOT_FOUND';
  if (CHECKSUM_REJECTIONS.has(name)) return 'CHECKSUM_MISMATCH';
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || (status === 403 && !name.startsWith('Invalid')))
    return 'ACCESS_DENIED';
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'NOT_FOUND';
  if (networkCode(error) || name === 'TimeoutError' || name === 'RequestTimeout') return 'ENDPOINT_UNREACHABLE';
  return 'UNKNOWN';
}
