import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from 'express';
import type { ResultsRoot } from '../storage/results-root.js';

/**
 * Refuses (404) a results path whose real location, symlinks resolved, is outside the results
 * folder: serve-static follows symlinks, so a link to /etc would otherwise be served.
 */
export function insideResults(results: ResultsRoot): RequestHandler {
  return async (req, res, next) => {
    let relative: string;
    try {
      relative = decodeURIComponent(req.path);
    } catch {
      res.status(400).type('text/plain').send('Bad path');
      return;
    }
    const root = await results.real().catch(() => path.resolve(results.dir));
    const real = await realpath(path.join(root, relative)).catch(() => null);
    // A path that does not exist is left to serve-static (404); one that escapes is refused here.
    if (real !== null && real !== root && !real.startsWith(root + path.sep)) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    next();
  };
}
