import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { WriteOptions, WrittenFile } from './driver.js';
import { StorageError, type StorageOperation } from './errors.js';

/** What drivers share about the files they upload: reading them exactly, and noticing when they change underneath. */

/** The file changed (size, time or inode) while it was being uploaded: nothing sent may count as it. */
export class FileChanged extends Error {}

export const changed = (a: Stats, b: Stats) => a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ino !== b.ino;

/** Reads exactly `length` bytes at `position` into the start of `buffer`; a file that got shorter is an error. */
export async function readExactly(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new FileChanged();
    filled += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** A Content-Disposition that downloads as `name` (quotes, backslashes and line breaks replaced). */
export const attachment = (name: string) => `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`;

/** What a bucket driver gives `writeVerified`: where a key is, its store's checksum behaviour, its read-back and its error mapping. */
export interface VerifyingStore {
  where(key: string): string;
  storeVerifiesChecksums(near: string): Promise<boolean | null>;
  read(key: string): Promise<Readable>;
  wrap(error: unknown, operation: StorageOperation, key: string): StorageError;
}

/**
 * The frame of every bucket upload: opens the file, lets `send` store it (reading it through the
 * handle, hashing what it sends), fails if the file changed meanwhile, and resolves only on the
 * store's evidence — its own checksum check where it makes one, else the object read back and
 * compared (size and SHA-256).
 */
export async function writeVerified(
  store: VerifyingStore,
  key: string,
  file: string,
  options: WriteOptions,
  send: (handle: FileHandle, stat: Stats) => Promise<{ size: number; sha256: string }>,
): Promise<WrittenFile> {
  let handle: FileHandle | undefined;
  try {
    options.signal?.throwIfAborted();
    handle = await open(file, 'r');
    const before = await handle.stat();
    const written = await send(handle, before);
    if (changed(before, await handle.stat())) throw new FileChanged();
    if (await store.storeVerifiesChecksums(key)) return { ...written, verification: 'store-checksum' };
    await compareReadBack(store, key, written);
    return { ...written, verification: 'read-back' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof FileChanged) throw new StorageError('UNKNOWN', 'write', store.where(key), `${file} changed while it was being uploaded`);
    if ((error as NodeJS.ErrnoException).syscall && (code === 'ENOENT' || code === 'EACCES')) {
      throw new StorageError(code === 'ENOENT' ? 'NOT_FOUND' : 'ACCESS_DENIED', 'write', store.where(key), `Could not read ${file} (${code})`, {
        cause: error,
      });
    }
    throw store.wrap(error, 'write', key);
  } finally {
    await handle?.close();
  }
}

/** Downloads the object and compares size and SHA-256 with what was sent: the evidence where the store checks nothing. */
export async function compareReadBack(store: VerifyingStore, key: string, expected: { size: number; sha256: string }): Promise<void> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of (await store.read(key)) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  const sha256 = hash.digest('hex');
  if (size !== expected.size || sha256 !== expected.sha256) {
    const where = store.where(key);
    throw new StorageError(
      'CHECKSUM_MISMATCH',
      'write',
      where,
      `Read back ${where} as ${size} bytes with SHA-256 ${sha256.slice(0, 12)}…, expected ${expected.size} bytes with ${expected.sha256.slice(0, 12)}…`,
    );
  }
}

/**
 * Whether a store refuses a body that does not match the checksum sent with it, asked of the store
 * once (per driver) by `ask`; an unclear answer (an outage, a denial) is not remembered.
 */
export class ChecksumProbe {
  private answer: Promise<boolean | null> | undefined;

  constructor(private readonly ask: (near: string) => Promise<boolean | null>) {}

  async verifies(near: string): Promise<boolean | null> {
    this.answer ??= this.ask(near).catch(() => null);
    const answer = await this.answer;
    if (answer === null) this.answer = undefined;
    return answer;
  }
}
