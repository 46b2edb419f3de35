import path from 'node:path';
import { Router } from 'express';
import type { Config } from '../config/config.js';
import { CreativeService } from '../creatives/creative.service.js';
import type { MikroORM } from '../db/orm.js';
import type { Metrics } from '../offload/metrics.js';
import { StorageError } from '../storage/errors.js';
import type { SettingsCipher } from '../storage/settings-cipher.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';

/**
 * `GET /creatives/:id/download`: the creative's file with a download filename, wherever it
 * lives: streamed from this server, or a redirect to a short-lived signed bucket URL. The id
 * (a random UUID) is the capability, as for any public result URL.
 */
export function creativeRoutes(deps: { config: Config; orm: MikroORM; cipher: SettingsCipher }): Router {
  const router = Router();
  router.get('/creatives/:id/download', async (req, res, next) => {
    try {
      const em = deps.orm.em.fork();
      const creatives = new CreativeService(em, new StorageSettingsService(em, deps.cipher, deps.config.license), deps.config);
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
      if (error instanceof StorageError) {
        res.status(503).type('text/plain').send(error.message);
        return;
      }
      next(error);
    }
  });
  return router;
}

/** `GET /metrics` (Prometheus text) for callers with METRICS_TOKEN; absent when it is unset. */
export function metricsRoute(config: Config, metrics: Metrics): Router {
  const router = Router();
  if (!config.metricsToken) return router;
  router.get('/metrics', async (req, res) => {
    if (req.headers.authorization !== `Bearer ${config.metricsToken}`) {
      res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('Send Authorization: Bearer <METRICS_TOKEN>');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
