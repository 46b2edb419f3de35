import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadAppKeys, type AppKeys } from './config/app-key.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { openDatabase, type MikroORM } from './db/orm.js';
import { createLogger, type Logger } from './logger.js';

export interface Booted {
  config: Config;
  keys: AppKeys;
  logger: Logger;
  orm: MikroORM;
  databaseUrl: string;
  embedded: EmbeddedDatabase | undefined;
}

/** What every process needs: validated configuration, keys, logs and a migrated database. */
export async function boot(options: { embeddedAllowed: boolean }): Promise<Booted> {
  let config: Config;
  let keys: AppKeys;
  try {
    config = loadConfig();
    if (!config.databaseUrl && !options.embeddedAllowed) {
      throw new ConfigError(['DATABASE_URL must be set for a separate worker process (the embedded PostgreSQL belongs to the API process; keep OFFLOAD_WORKER=true there instead)']);
    }
    keys = loadAppKeys(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // The AWS SDK warns that it will need Node 22 from 2027 (see STACK.md); once is in the README.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const logger = createLogger(config.logLevel);
  if (keys.generated) {
    logger.warn(`APP_KEY is not set: using a key generated into ${path.join(config.dataDir, 'app-key')}. Production must set its own APP_KEY.`);
  }
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPostgresPort, logger);
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  const orm = await openDatabase(databaseUrl, logger);
  mkdirSync(config.resultsDir, { recursive: true });
  return { config, keys, logger, orm, databaseUrl, embedded };
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await stop().catch((error) => logger.error({ err: error }, 'error while shutting down'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
