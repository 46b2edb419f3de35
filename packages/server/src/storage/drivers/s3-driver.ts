import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { StorageError, type StorageErrorCode, type StorageOperation } from '../errors.js';
import { assertKey, publicObjectUrl } from '../keys.js';
import type { ObjectStat, SignedUrlDriver, WriteOptions } from './driver.js';

export interface S3DriverConfig {
  /** Undefined: the SDK's AWS endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Base URL objects are publicly served from; '' when there is none. */
  publicUrl: string;
  /** Multipart part size in bytes (≥ 5 MiB); memory per upload is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const MiB = 1024 * 1024;

/** One driver for every S3-compatible provider; R2, Amazon S3 and Wasabi are presets of it. */
export class S3Driver implements SignedUrlDriver {
  readonly client: S3Client;

  constructor(readonly config: S3DriverConfig) {
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      forcePathStyle: config.forcePathStyle,
      // Recent SDKs send CRC32 trailers (aws-chunked) by default, which R2, Wasabi and Ceph
      // have rejected and some stores silently store inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: config.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: config.connectionTimeoutMs ?? 5000, requestTimeout: config.requestTimeoutMs ?? 120_000 },
    });
  }

  private where(key: string) {
    return `${this.config.bucket}/${key}`;
  }

  async write(key: string, body: Readable, options: WriteOptions): Promise<void> {
    assertKey(key, 'write');
    // No ACL: ACL-disabled S3 buckets and R2 reject them. No ContentLength with a stream.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: body, ContentType: options.contentType, CacheControl: options.cacheControl, Metadata: options.metadata },
      partSize: Math.max(5 * MiB, this.config.partSize ?? 8 * MiB),
      queueSize: this.config.queueSize ?? 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      throw this.wrap(error, 'write', key);
    }
  }

  /** Small in-memory bodies (probes) in one request: cheaper than multipart for them. */
  async writeBuffer(key: string, body: Buffer, options: WriteOptions): Promise<void> {
    assertKey(key, 'write');
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: key, Body: body, ContentType: options.contentType, CacheControl: options.cacheControl, Metadata: options.metadata }));
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

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (error) {
        throw this.wrap(error, 'list', prefix);
      }
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  publicUrl(key: string): string | null {
    return publicObjectUrl(this.config.publicUrl, key);
  }

  /** A time-limited GET link, for buckets with no public URL; optionally served as a download. */
  async signedUrl(key: string, expiresInSeconds: number, options: { downloadName?: string } = {}): Promise<string> {
    assertKey(key, 'sign');
    const disposition = options.downloadName ? `attachment; filename="${options.downloadName.replace(/["\\\r\n]/g, '_')}"` : undefined;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.config.bucket, Key: key, ResponseContentDisposition: disposition }), { expiresIn: expiresInSeconds });
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
      UNKNOWN: `Could not ${operation} ${where}: ${errorName(error)}${httpStatus(error) ? ` (HTTP ${httpStatus(error)})` : ''}`,
    };
    return new StorageError(code, operation, where, messages[code], { cause: error });
  }
}

const httpStatus = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const errorName = (error: unknown) => (error instanceof S3ServiceException ? error.name : error instanceof Error ? error.name : String(error));

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    const inner = e.errors?.find((x) => NETWORK_CODES.has((x as { code?: string }).code ?? ''));
    if (inner) return (inner as { code: string }).code;
    e = e.cause as typeof e;
  }
  return undefined;
}

function networkReason(error: unknown): string {
  const code = networkCode(error);
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing is listening there',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name could not be resolved right now',
    ETIMEDOUT: 'the connection timed out',
    ECONNRESET: 'the connection was reset',
  };
  if (code) return reasons[code] ?? code;
  return (error as Error)?.name === 'TimeoutError' ? 'the request timed out' : 'network error';
}

function classify(error: unknown): StorageErrorCode {
  const name = (error as Error)?.name ?? '';
  const status = httpStatus(error);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed', 'InvalidSecurity'].includes(name)) return 'INVALID_CREDENTIALS';
  if (name === 'NoSuchBucket') return 'BUCKET_NOT_FOUND';
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || (status === 403 && !name.startsWith('Invalid'))) return 'ACCESS_DENIED';
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'NOT_FOUND';
  if (networkCode(error) || name === 'TimeoutError' || name === 'RequestTimeout') return 'ENDPOINT_UNREACHABLE';
  return 'UNKNOWN';
}
