import { Router } from 'express';
import type { Config } from '../config/config.js';
import type { Metrics } from '../offload/metrics.js';

/** `GET /metrics` (Prometheus text) for callers with METRICS_TOKEN; absent when it is unset. Served by the API and by workers. */
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
