import express from 'express';
import { closeServer, compose, configFromEnvironment, onShutdown } from './app/composition.js';
import { healthHandler } from './http/health.js';
import { metricsRoute } from './http/metrics-route.js';
import { startOffloadWorker } from './offload/worker.js';

/**
 * `pnpm worker`: an offload worker on its own, for scaling uploads apart from the API. Run as
 * many as you like against the same DATABASE_URL; it serves /healthz and /metrics on PORT.
 */
async function main() {
  const runtime = await compose({ config: configFromEnvironment(), embeddedAllowed: false });
  const { config, logger } = runtime;
  const worker = await startOffloadWorker(runtime);
  const app = express();
  app.get('/healthz', healthHandler(runtime.orm));
  app.use(metricsRoute(config, runtime.metrics));
  const server = app.listen(config.port, config.host, () => {
    logger.info({ port: config.port }, 'offload worker is running');
    process.stdout.write(`Offload worker is running:\n  Health:      ${config.publicUrl}/healthz\n`);
  });
  onShutdown(logger, async () => {
    await closeServer(server);
    await worker.stop();
    await runtime.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
