import { randomUUID } from 'node:crypto';
import { opendir, lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Studio } from '@offload/types';
import type { CreativeRepository } from '../creatives/creative.repository.js';
import { checkRelativePath } from '../storage/drivers/keys.js';
import { contentTypeFor } from '../storage/drivers/local-driver.js';

/** A file on the results disk that could be a result: where, its studio and type, its size. */
export interface FoundResult {
  path: string;
  studio: Studio;
  contentType: string;
  size: number;
}

export interface ScanCounts {
  /** Results registered (or, in a dry run, that would be). */
  registered: number;
  bytes: number;
  /** Files already finalized. */
  known: number;
  /** Files that cannot be results (not an image or video, or a path finalize refuses), with one example. */
  unusable: number;
  example: string | null;
}

/** Partial uploads of the local driver, and anything hidden, are never results. */
const IGNORED = (name: string) => name.startsWith('.') || name.endsWith('.offload-partial');

/**
 * Every regular file under the results folder, depth first in name order, as results-relative
 * paths; symlinks are not followed (a result must be a file in the folder, as finalize requires).
 * Streams the directory tree: a library of millions of files never sits in memory.
 */
export async function* walkResults(root: string, dir = ''): AsyncGenerator<{ path: string; size: number }> {
  const handle = await opendir(path.join(root, dir));
  const names: string[] = [];
  for await (const entry of handle) if (!IGNORED(entry.name)) names.push(entry.name);
  names.sort();
  for (const name of names) {
    const relative = dir ? `${dir}/${name}` : name;
    const info = await lstat(path.join(root, relative)).catch(() => null);
    if (info?.isDirectory()) yield* walkResults(root, relative);
    else if (info?.isFile()) yield { path: relative, size: info.size };
  }
}

/**
 * What finalize would record for a file it was never told about: the same path checks, the type
 * from the extension, the studio from the top folder (images/…, videos/…) or else the type. Null,
 * with the reason, for a file that is not a result.
 */
export function resultOf(file: { path: string; size: number }): FoundResult | { problem: string } {
  const problem = checkRelativePath(file.path);
  if (problem) return { problem: `path ${problem}` };
  const contentType = contentTypeFor(file.path);
  const kind = contentType.split('/')[0];
  if (kind !== 'image' && kind !== 'video') return { problem: 'not an image or a video' };
  const top = file.path.split('/')[0]!.toLowerCase();
  const studio: Studio = top.startsWith('video') ? 'VIDEO' : top.startsWith('image') ? 'IMAGE' : kind === 'video' ? 'VIDEO' : 'IMAGE';
  return { path: file.path, studio, contentType, size: file.size };
}

/**
 * Registers the results on the disk that were never finalized, as local results (the admin then
 * offloads them with a bulk job, behind new results), in batches; `dryRun` only counts. Safe to run
 * again: a path already finalized is left as it is. `keepGoing` is asked between batches (a paused
 * or canceled job stops), and `progress` told after each.
 */
export async function scanResultsDisk(
  root: string,
  creatives: CreativeRepository,
  options: { dryRun: boolean; keepGoing?: () => Promise<boolean>; progress?: (counts: ScanCounts) => Promise<void> },
): Promise<ScanCounts> {
  const counts: ScanCounts = { registered: 0, bytes: 0, known: 0, unusable: 0, example: null };
  let batch: FoundResult[] = [];
  const flush = async () => {
    const known = await creatives.existingPaths(batch.map((b) => b.path));
    const fresh = batch.filter((b) => !known.has(b.path));
    counts.known += batch.length - fresh.length;
    if (!options.dryRun) {
      const inserted = await Promise.all(
        fresh.map((f) =>
          creatives.insertFinalized({
            id: randomUUID(),
            path: f.path,
            studio: f.studio,
            content_type: f.contentType,
            metadata: { registeredBy: 'scan' },
            size: f.size,
            target_provider: null,
            offload_status: 'LOCAL',
          }),
        ),
      );
      // A concurrent finalize of the same path won: it is known, not registered twice.
      counts.known += inserted.filter((c) => c === null).length;
      for (const [i, creative] of inserted.entries()) {
        if (!creative) continue;
        counts.registered++;
        counts.bytes += fresh[i]!.size;
      }
    } else {
      counts.registered += fresh.length;
      counts.bytes += fresh.reduce((sum, f) => sum + f.size, 0);
    }
    batch = [];
    await options.progress?.(counts);
  };
  for await (const file of walkResults(root)) {
    const result = resultOf(file);
    if ('problem' in result) {
      counts.unusable++;
      counts.example ??= `${file.path}: ${result.problem}`;
      continue;
    }
    batch.push(result);
    if (batch.length >= 500) {
      await flush();
      if (options.keepGoing && !(await options.keepGoing())) return counts;
    }
  }
  if (batch.length) await flush();
  return counts;
}
