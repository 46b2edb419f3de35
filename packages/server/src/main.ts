import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import { loadConfig, ConfigError, adminBuilt } from './config/config.js';
import { loadAppKeys } from './config/app-key.js';
import { ensureFirstAdmin } from './auth/auth.service.js';
import { startEmbeddedPostgres } from './db/embedded-postgres.js';
import { openDatabase } from './db/orm.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

function configOrExit() {
  try {
    const config = loadConfig();
    return { config, keys: loadAppKeys(config) };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function main() {
  const { config, keys } = configOrExit();
  const logger = createLogger(config.logLevel);
  if (keys.generated) {
    logger.warn(`APP_KEY is not set: using a key generated into ${path.join(config.dataDir, 'app-key')}. Production must set its own APP_KEY.`);
  }

  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPostgresPort, logger);
  const orm = await openDatabase(config.databaseUrl ?? embedded!.url, logger);
  const firstAdmin = await ensureFirstAdmin(orm.em.fork(), config.firstAdmin.email, config.firstAdmin.password);
  if (firstAdmin) logger.info({ email: firstAdmin.email }, 'first admin created');
  mkdirSync(config.resultsDir, { recursive: true });
  const app = await createApp({ config, orm, logger, keys });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.express.listen(config.port, config.host, () => resolve(s)).once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  logger.info({ version: VERSION, port, database: embedded ? 'embedded' : 'external', resultsDir: config.resultsDir }, 'Offload is listening');
  const lines = [
    `Offload ${VERSION} is running:`,
    `  Admin:       ${base}/app/admin${adminBuilt(config) ? '' : '  (not built: run pnpm build)'}`,
    ...(config.playground ? [`  Playground:  ${base}/playground`] : []),
    `  GraphQL:     ${base}/graphql`,
    `  Health:      ${base}/healthz`,
    ...(firstAdmin?.generatedPassword
      ? [`First admin created: sign in as ${firstAdmin.email} with password ${firstAdmin.generatedPassword}`, '  (shown only this once; set ADMIN_EMAIL and ADMIN_PASSWORD before the first start to choose them)']
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    await app.stop();
    await orm.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
