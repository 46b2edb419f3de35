import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

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
