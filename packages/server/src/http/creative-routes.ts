import path from 'node:path';
import { Router } from 'express';
import type { Runtime } from '../app/composition.js';
import { sendError } from './errors.js';

/**
 * `GET /creatives/:id/download`: the creative's file with a download filename, wherever it
 * lives: streamed from this server, or a redirect to a short-lived signed bucket URL. The id
 * (a random UUID) is the capability, as for any public result URL.
 */
export function creativeRoutes(runtime: Pick<Runtime, 'scope'>): Router {
  const router = Router();
  router.get('/creatives/:id/download', async (req, res, next) => {
    try {
      const { creatives } = runtime.scope();
      const creative = await creatives.get(req.params.id);
      if (!creative) {
        res.status(404).type('text/plain').send('No such creative');
        return;
      }
      const target = await creatives.downloadTarget(creative);
      if (target.kind === 'redirect') {
        res.set('Cache-Control', 'private, no-store').redirect(302, target.url);
        return;
      }
      res.download(target.file, path.posix.basename(creative.path), { dotfiles: 'allow', headers: { 'Content-Type': creative.contentType } }, (error) => {
        if (error && !res.headersSent) res.status(404).type('text/plain').send('The file is no longer on this server');
      });
    } catch (error) {
      sendError(res, next, error);
    }
  });
  return router;
}
