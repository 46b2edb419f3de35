import type { Readable } from 'node:stream';

export interface WriteOptions {
  contentType: string;
  cacheControl?: string;
  /** Small string metadata kept with the object. */
  metadata?: Record<string, string>;
  /** Stops the write (a shutdown): requests in flight are cancelled and a multipart upload is aborted, leaving nothing behind. */
  signal?: AbortSignal;
}

/**
 * The evidence that a write stored exactly the file's bytes: `store-checksum` when the store
 * checked every byte it accepted against a checksum sent with it (and refuses bodies that do not
 * match); `read-back` when the stored bytes were read back and hashed after the write.
 */
export type ChecksumVerification = 'store-checksum' | 'read-back';

/** What was stored and verified: the file's size and hex SHA-256, computed from the bytes that were written. */
export interface WrittenFile {
  size: number;
  sha256: string;
  verification: ChecksumVerification;
}

export interface ListedObject {
  key: string;
  size: number;
  /** When it was last written, where the store says (buckets do). */
  lastModified?: Date;
}

export interface ObjectStat {
  size: number;
  contentType: string | undefined;
  lastModified: Date | undefined;
  metadata: Record<string, string>;
}

/**
 * Where results can live. Results are files on disk, so writes take a file path (read in
 * bounded chunks: a 2 GB video never sits in memory); reads are streams.
 * Keys are relative, `/`-separated paths (`images/gemini/<uuid>.png`).
 */
export interface StorageDriver {
  /**
   * Stores the file under `key` and resolves only once the store's copy is verified (see
   * `ChecksumVerification`); never on the strength of metadata the product wrote itself. Fails
   * when the file changes while it is being written.
   */
  writeFile(key: string, file: string, options: WriteOptions): Promise<WrittenFile>;
  /** Throws a StorageError with code NOT_FOUND when the key does not exist. */
  read(key: string): Promise<Readable>;
  /** Null when the key does not exist. */
  stat(key: string): Promise<ObjectStat | null>;
  exists(key: string): Promise<boolean>;
  /** Deleting a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  /** Every object under the prefix, in the store's key order (UTF-8 bytes, for buckets). */
  list(prefix: string): AsyncIterable<ListedObject>;
  /** The absolute URL anyone can fetch the object at, or null when there is none. */
  publicUrl(key: string): string | null;
}

/** An optional capability: time-limited links for private buckets. */
export interface SignedUrlDriver extends StorageDriver {
  signedUrl(key: string, expiresInSeconds: number, options?: { downloadName?: string }): Promise<string>;
}

/** A bucket's driver, whatever its API: what offload, serving and Test connection need of every provider. */
export interface BucketDriver extends SignedUrlDriver {
  /** Small in-memory bodies (connection-test probes) in one request. */
  writeBuffer(key: string, body: Buffer, options: WriteOptions): Promise<void>;
  /**
   * Whether this store refuses a body that does not match the checksum sent with it, asked of the
   * store itself (once per driver); null when its answer said neither (asked again next time).
   */
  storeVerifiesChecksums(near: string): Promise<boolean | null>;
  /**
   * Optional: a copy made inside the store from `source`'s bucket, verified against `expected`;
   * null where the store cannot make it (another store or key, too big): the caller streams.
   */
  copyFrom?(source: BucketDriver, sourceKey: string, key: string, expected: { size: number; sha256: string }): Promise<WrittenFile | null>;
}

/** How hard a driver tries and how much it holds: Test connection fails fast, offload persists. */
export interface DriverTuning {
  /**
   * Files up to this size go up in one request; larger ones in parts (S3 multipart: ≥ 5 MiB, grown
   * when a file would need more than 10,000 parts; memory per upload is partSize × queueSize) or in
   * resumable chunks (GCS: a multiple of 256 KiB; memory per upload is one chunk).
   */
  partSize?: number;
  /** Parts of one file in flight at once (S3 multipart). */
  queueSize?: number;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}
