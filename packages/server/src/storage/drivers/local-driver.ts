import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError, type StorageOperation } from '../errors.js';
import { assertKey, publicObjectUrl } from '../keys.js';
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

/** The local results disk. Writes land in a temp file and are renamed into place, so a crash never leaves half a file under the key. */
export class LocalDriver implements StorageDriver {
  constructor(
    readonly root: string,
    private readonly baseUrl: string,
  ) {}

  private file(key: string, operation: Exclude<StorageOperation, 'list'>) {
    assertKey(key, operation);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(path.resolve(this.root) + path.sep)) throw new StorageError('INVALID_KEY', operation, key, `Object key ${JSON.stringify(key)} escapes the results folder`);
    return file;
  }

  async writeFile(key: string, source: string, _options: WriteOptions): Promise<WrittenFile> {
    const file = this.file(key, 'write');
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${randomUUID()}${TEMP_SUFFIX}`;
    const hash = createHash('sha256');
    let size = 0;
    try {
      const input = createReadStream(source, { highWaterMark: 1024 * 1024 });
      input.on('data', (chunk) => {
        hash.update(chunk as Buffer);
        size += chunk.length;
      });
      await pipeline(input, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, file);
      return { size, sha256: hash.digest('hex') };
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
    const start = path.resolve(this.root, prefix);
    if (!start.startsWith(path.resolve(this.root))) return;
    yield* walk(this.root, start);
  }

  publicUrl(key: string): string {
    return publicObjectUrl(`${this.baseUrl}/results`, key)!;
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
