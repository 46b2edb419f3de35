import type { RequestHandler } from 'express';
import type { HealthReport } from '@offload/types';
import type { MikroORM } from '../db/orm.js';
import { VERSION } from '../system/version.js';

/** `GET /healthz`: 200 when the database answers, 503 otherwise. Anonymous by design. */
export function healthHandler(orm: MikroORM): RequestHandler {
  return async (_req, res) => {
    const started = performance.now();
    let error: string | undefined;
    const check = await orm.checkConnection();
    if (!check.ok) error = check.reason.split('\n')[0];
    const report: HealthReport = {
      status: error ? 'error' : 'ok',
      version: VERSION,
      database: { ok: !error, latencyMs: Math.round((performance.now() - started) * 10) / 10, ...(error ? { error } : {}) },
    };
    res
      .status(error ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json(report);
  };
}
