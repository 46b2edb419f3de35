import { realpath } from 'node:fs/promises';

const roots = new Map<string, Promise<string>>();

/**
 * The results folder with symlinks resolved, once per process: it is where results land and
 * does not move, and resolving it on every call was the largest cost of a finalize under load.
 */
export function resultsRoot(dir: string): Promise<string> {
  let root = roots.get(dir);
  if (!root) {
    root = realpath(dir);
    roots.set(dir, root);
    root.catch(() => roots.delete(dir)); // not there yet: try again next time
  }
  return root;
}
