// Buckets and objects: metadata in memory, bytes on disk. An upload streams into a file of its own
// and becomes the object by a rename, so a reader never sees half an object and no object is ever
// held in memory whole (a 200 MB upload costs the server a few 64 KiB buffers).
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32c, crc32cBase64 } from './crc32c.js';

/** The writable, user-visible fields of an object resource. */
export interface ObjectFields {
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  metadata?: Record<string, string>;
}

export interface ObjectRecord extends ObjectFields {
  bucket: string;
  name: string;
  size: number;
  /** base64, as in the resource; what was computed when the bytes arrived (bit rot leaves it). */
  md5: string;
  crc32c: string;
  generation: number;
  metageneration: number;
  contentType: string;
  created: Date;
  updated: Date;
  file: string;
}

export interface BucketRecord {
  name: string;
  public: boolean;
  created: Date;
  objects: Map<string, ObjectRecord>;
}

/** MD5 and CRC32C of a byte stream, fed as it is written; copyable so a resumable session can try a finalize. */
export class Hashes {
  constructor(
    private md5: Hash = createHash('md5'),
    private crc = 0,
    public size = 0,
  ) {}

  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.crc = crc32c(chunk, this.crc);
    this.size += chunk.length;
  }

  copy(): Hashes {
    return new Hashes(this.md5.copy(), this.crc, this.size);
  }

  /** Base64 digests; the running state stays usable. */
  digest(): { md5: string; crc32c: string } {
    return { md5: this.md5.copy().digest('base64'), crc32c: crc32cBase64(this.crc) };
  }
}

/**
 * Appends `source` to `file`, whose first `hashes.size` bytes are the ones hashed so far. Each chunk
 * is hashed only once it is on disk: when the source fails half-way (a cut connection)
 * `hashes.size` still says exactly how much was persisted.
 */
export async function writeContent(source: AsyncIterable<Buffer>, file: FileHandle, hashes: Hashes): Promise<void> {
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset, hashes.size + offset);
      offset += bytesWritten;
    }
    hashes.update(chunk);
  }
}

export class Store {
  readonly buckets = new Map<string, BucketRecord>();
  private lastGeneration = 0;
  private readonly objectsDir: string;
  private readonly uploadsDir: string;

  constructor(readonly dir: string = mkdtempSync(path.join(os.tmpdir(), 'offload-gcs-'))) {
    this.objectsDir = path.join(dir, 'objects');
    this.uploadsDir = path.join(dir, 'uploads');
    mkdirSync(this.objectsDir, { recursive: true });
    mkdirSync(this.uploadsDir, { recursive: true });
  }

  createBucket(name: string, isPublic: boolean): BucketRecord {
    const existing = this.buckets.get(name);
    if (existing) return existing;
    const bucket = { name, public: isPublic, created: new Date(), objects: new Map<string, ObjectRecord>() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  async deleteBucket(name: string): Promise<void> {
    const bucket = this.buckets.get(name);
    if (!bucket) return;
    this.buckets.delete(name);
    await Promise.all([...bucket.objects.values()].map((o) => unlink(o.file).catch(() => {})));
  }

  object(bucket: string, name: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(name);
  }

  /** A new, empty file for bytes on their way in (an upload, a resumable session). */
  newUploadFile(): string {
    return path.join(this.uploadsDir, randomBytes(12).toString('hex'));
  }

  /** GCS generations are microsecond timestamps; strictly increasing here so two writes never share one. */
  nextGeneration(): number {
    this.lastGeneration = Math.max(Date.now() * 1000, this.lastGeneration + 1);
    return this.lastGeneration;
  }

  /** Makes `file` (whose first `size` bytes are the content) the live version of bucket/name, replacing any previous one. */
  async commit(
    bucket: BucketRecord,
    name: string,
    file: string,
    size: number,
    digests: { md5: string; crc32c: string },
    fields: ObjectFields,
  ): Promise<ObjectRecord> {
    const generation = this.nextGeneration();
    const target = path.join(this.objectsDir, `${generation}-${randomBytes(6).toString('hex')}`);
    await truncateTo(file, size);
    await rename(file, target);
    const now = new Date();
    const record: ObjectRecord = {
      ...fields,
      contentType: fields.contentType ?? 'application/octet-stream',
      bucket: bucket.name,
      name,
      size,
      md5: digests.md5,
      crc32c: digests.crc32c,
      generation,
      metageneration: 1,
      created: now,
      updated: now,
      file: target,
    };
    const previous = bucket.objects.get(name);
    bucket.objects.set(name, record);
    // A reader that opened the old version keeps its descriptor; unlinking is safe on POSIX.
    if (previous) await unlink(previous.file).catch(() => {});
    return record;
  }

  async delete(bucket: BucketRecord, name: string): Promise<boolean> {
    const record = bucket.objects.get(name);
    if (!record) return false;
    bucket.objects.delete(name);
    await unlink(record.file).catch(() => {});
    return true;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function truncateTo(file: string, size: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

/** MD5 and CRC32C of a stored file, read in chunks (for the admin API's integrity checks). */
export async function hashFile(file: string): Promise<{ md5: string; crc32c: string; size: number }> {
  const hashes = new Hashes();
  const handle = await open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hashes.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return { ...hashes.digest(), size: hashes.size };
}
