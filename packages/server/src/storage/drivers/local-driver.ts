import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError, type StorageOperation } from './errors.js';
import { assertKey, publicObjectUrl } from './keys.js';
import type { ObjectStat, StorageDriver, WriteOptions, WrittenFile } from './driver.js';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentTypeFor = (key: string) => MIME[path.extname(key).toLowerCase()] ?? 'application/octet-stream';

const TEMP_SUFFIX = '.offload-partial';

/** The local results disk. Writes land in a temp file, are fsynced and checked, then renamed into place. */
export class LocalDriver implements StorageDriver {
  constructor(
    readonly root: string,
    private readonly baseUrl: string,
  ) {}

  private file(key: string, operation: Exclude<StorageOperation, 'list'>) {
    assertKey(key, operation);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(path.resolve(this.root) + path.sep))
      throw new StorageError('INVALID_KEY', operation, key, `Object key ${JSON.stringify(key)} escapes the results folder`);
    return file;
  }

  async writeFile(key: string, source: string, options: WriteOptions): Promise<WrittenFile> {
    let input: Readable;
    try {
      input = createReadStream(source, { highWaterMark: 1024 * 1024 });
      await once(input, 'open');
    } catch (error) {
      throw wrap(error, 'write', key);
    }
    return this.writeStream(key, input, options);
  }

  /**
   * Writes a stream under `key` the crash-safe way: into a temporary file beside it, fsynced,
   * read back and checked for size and SHA-256 (against `expected` when the caller knows the
   * bytes, e.g. a result coming back from a bucket), then renamed into place and the folder
   * fsynced. A crash leaves either the old state or the whole new file, never half of one.
   */
  async writeStream(key: string, input: Readable, options: WriteOptions & { expected?: { size: number; sha256: string } }): Promise<WrittenFile> {
    const file = this.file(key, 'write');
    const temp = `${file}.${randomUUID()}${TEMP_SUFFIX}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        // flush: fsync before the file is closed, so what is checked below is what the disk holds.
        createWriteStream(temp, { flags: 'wx', flush: true }),
      );
      const written = { size, sha256: hash.digest('hex') };
      const expected = options.expected ?? written;
      const onDisk = await hashFile(temp);
      if (onDisk.size !== expected.size || onDisk.sha256 !== expected.sha256 || written.sha256 !== expected.sha256) {
        throw new StorageError(
          'CHECKSUM_MISMATCH',
          'write',
          key,
          `${key} was written as ${onDisk.size} bytes with SHA-256 ${onDisk.sha256.slice(0, 12)}…, expected ${expected.size} bytes with ` +
            `${expected.sha256.slice(0, 12)}…`,
        );
      }
      await rename(temp, file);
      await syncDirectory(path.dirname(file));
      return { ...written, verification: 'read-back' };
    } catch (error) {
      await rm(temp, { force: true });
      throw wrap(error, 'write', key);
    }
  }

  async read(key: string): Promise<Readable> {
    const file = this.file(key, 'read');
    const stream = createReadStream(file);
    // Surface "not found" now, as a StorageError, rather than as a stream error later.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error) => reject(wrap(error, 'read', key)));
    });
    return stream;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const s = await stat(this.file(key, 'stat'));
      return s.isFile() ? { size: s.size, contentType: contentTypeFor(key), lastModified: s.mtime, metadata: {} } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw wrap(error, 'stat', key);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.file(key, 'delete'), { force: true });
    } catch (error) {
      throw wrap(error, 'delete', key);
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    const root = path.resolve(this.root);
    const start = path.resolve(root, prefix);
    if (start !== root && !start.startsWith(root + path.sep)) return;
    yield* walk(this.root, start);
  }

  publicUrl(key: string): string {
    return publicObjectUrl(`${this.baseUrl}/results`, key)!;
  }
}

/** The size and SHA-256 of a file on disk, read in 1 MiB chunks. */
export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Makes a rename in this folder durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function* walk(root: string, dir: string): AsyncIterable<{ key: string; size: number }> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
    throw wrap(error, 'list', path.relative(root, dir));
  }
  for await (const entry of handle) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(root, full);
    else if (entry.isFile() && !entry.name.endsWith(TEMP_SUFFIX)) {
      yield { key: path.relative(root, full).split(path.sep).join('/'), size: (await stat(full)).size };
    }
  }
}

function wrap(error: unknown, operation: StorageOperation, key: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new StorageError('NOT_FOUND', operation, key, `No file at ${key}`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new StorageError('ACCESS_DENIED', operation, key, `Permission denied on ${key}`, { cause: error });
  return new StorageError('UNKNOWN', operation, key, `Could not ${operation} ${key}: ${(error as Error).message}`, { cause: error });
}
