import express from 'express';
import { boot, onShutdown } from './boot.js';
import { healthHandler } from './http/health.js';
import { metricsRoute } from './http/creative-routes.js';
import { createMetrics } from './offload/metrics.js';
import { startOffloadWorker } from './offload/worker.js';
import { SettingsCipher } from './storage/settings-cipher.js';

/**
 * `pnpm worker`: an offload worker on its own, for scaling uploads apart from the API. Run as
 * many as you like against the same DATABASE_URL; it serves /healthz and /metrics on PORT.
 */
async function main() {
  const { config, keys, logger, orm, databaseUrl } = await boot({ embeddedAllowed: false });
  const metrics = createMetrics(orm);
  const worker = await startOffloadWorker({ orm, cipher: new SettingsCipher(keys), config, logger, metrics }, databaseUrl);
  const app = express();
  app.get('/healthz', healthHandler(orm));
  app.use(metricsRoute(config, metrics));
  const server = app.listen(config.port, config.host, () => {
    logger.info({ port: config.port }, 'offload worker is running');
    process.stdout.write(`Offload worker is running:\n  Health:      ${config.publicUrl}/healthz\n`);
  });
  onShutdown(logger, async () => {
    server.close();
    await worker.stop();
    await orm.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
