import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The results folder with symlinks resolved, once per process (the composition root owns one):
 * it is where results land and does not move, and resolving it on every call was the largest
 * cost of a finalize under load.
 */
export class ResultsRoot {
  private resolved: Promise<string> | undefined;

  constructor(readonly dir: string) {}

  real(): Promise<string> {
    if (!this.resolved) {
      const resolving = realpath(this.dir);
      this.resolved = resolving;
      resolving.catch(() => (this.resolved = undefined)); // not there yet: try again next time
    }
    return this.resolved;
  }

  /** Whether `file` (symlinks resolved) is inside the results folder, separator included: a sibling folder is not. */
  async contains(file: string): Promise<boolean> {
    const root = await this.real();
    return file.startsWith(root + path.sep);
  }
}
