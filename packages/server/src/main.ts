import type { Server } from 'node:http';
import { ensureFirstAdmin } from './auth/auth.service.js';
import { closeServer, compose, configFromEnvironment, onShutdown } from './app/composition.js';
import { adminBuilt } from './config/config.js';
import { createApp } from './http/app.js';
import { startOffloadWorker } from './offload/worker.js';
import { VERSION } from './system/version.js';

async function main() {
  const runtime = await compose({ config: configFromEnvironment(), embeddedAllowed: true });
  const { config, logger, orm } = runtime;
  const firstAdmin = await ensureFirstAdmin(orm.em.fork(), config.firstAdmin.email, config.firstAdmin.password);
  if (firstAdmin) logger.info({ email: firstAdmin.email }, 'first admin created');

  const app = await createApp(runtime);
  const worker = config.offload.inProcess ? await startOffloadWorker(runtime) : undefined;

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.express.listen(config.port, config.host, () => resolve(s)).once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  logger.info(
    { version: VERSION, port, database: config.databaseUrl ? 'external' : 'embedded', resultsDir: config.resultsDir, worker: Boolean(worker) },
    'Offload is listening',
  );
  const lines = [
    `Offload ${VERSION} is running:`,
    `  Admin:       ${base}/app/admin${adminBuilt(config) ? '' : '  (not built: run pnpm build)'}`,
    ...(config.playground ? [`  Playground:  ${base}/playground`] : []),
    `  GraphQL:     ${base}/graphql`,
    `  Health:      ${base}/healthz`,
    ...(firstAdmin?.generatedPassword
      ? [
          `First admin created: sign in as ${firstAdmin.email} with password ${firstAdmin.generatedPassword}`,
          '  (shown only this once; set ADMIN_EMAIL and ADMIN_PASSWORD before the first start to choose them)',
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  onShutdown(logger, async () => {
    await closeServer(server);
    await worker?.stop();
    await app.stop();
    await runtime.close();
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
