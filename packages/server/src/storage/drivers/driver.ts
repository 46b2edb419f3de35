import type { Readable } from 'node:stream';

export interface WriteOptions {
  contentType: string;
  cacheControl?: string;
  /** Small string metadata kept with the object. */
  metadata?: Record<string, string>;
}

/** What was stored: the file's size and hex SHA-256, computed while writing it. */
export interface WrittenFile {
  size: number;
  sha256: string;
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
   * Stores the file under `key`, with its SHA-256 in the object's metadata (`sha256`) where the
   * store keeps metadata. Fails when the file changes while it is being written.
   */
  writeFile(key: string, file: string, options: WriteOptions): Promise<WrittenFile>;
  /** Throws a StorageError with code NOT_FOUND when the key does not exist. */
  read(key: string): Promise<Readable>;
  /** Null when the key does not exist. */
  stat(key: string): Promise<ObjectStat | null>;
  exists(key: string): Promise<boolean>;
  /** Deleting a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  /** The absolute URL anyone can fetch the object at, or null when there is none. */
  publicUrl(key: string): string | null;
}

/** An optional capability: time-limited links for private buckets. */
export interface SignedUrlDriver extends StorageDriver {
  signedUrl(key: string, expiresInSeconds: number, options?: { downloadName?: string }): Promise<string>;
}
