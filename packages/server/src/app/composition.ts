import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AdminSession } from '../auth/admin-session.entity.js';
import { AdminUser } from '../auth/admin-user.entity.js';
import { ApiToken } from '../auth/api-token.entity.js';
import { AuthService } from '../auth/auth.service.js';
import { Creative } from '../creatives/creative.entity.js';
import { Setting } from '../db/setting.entity.js';
import { loadAppKeys, type AppKeys } from '../config/app-key.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { CreativeRepository, FinalizeBatcher } from '../creatives/creative.repository.js';
import { CreativeService } from '../creatives/creative.service.js';
import { runningEmbeddedUrl, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded-postgres.js';
import { openDatabase, type MikroORM } from '../db/orm.js';
import { SharedCache } from '../db/shared-cache.js';
import { RateLimiter } from '../domain/rate-limit.js';
import { RateLimitRepository } from '../db/rate-limit.repository.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Metrics } from '../offload/metrics.js';
import { ProviderDrivers } from '../storage/provider-driver.js';
import { ResultsRoot } from '../storage/results-root.js';
import { SettingsCipher } from '../storage/settings-cipher.js';
import { StorageLocations } from '../storage/storage-locations.service.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';

/**
 * The composition root: the one place a process is wired together. `main` (the API), the
 * worker, the test harness and the commands all start from `compose`; everything a process keeps
 * (caches, drivers, the finalize batcher, rate limits) is owned by the Runtime it returns, never
 * by a module. `scope()` builds the services of one unit of work — a request, a job, a command —
 * once, on an EntityManager of its own.
 */

/** Every table's entity class. */
const ENTITIES = [Setting, AdminUser, AdminSession, ApiToken, Creative];

/** The services of one unit of work. */
export interface Scope {
  em: EntityManager;
  storageSettings: StorageSettingsService;
  locations: StorageLocations;
  creativeRepository: CreativeRepository;
  creatives: CreativeService;
  auth: AuthService;
}

export interface Runtime {
  config: Config;
  keys: AppKeys;
  logger: Logger;
  orm: MikroORM;
  databaseUrl: string;
  cipher: SettingsCipher;
  /** Settings and API tokens, per process, kept coherent by PostgreSQL notifications. */
  cache: SharedCache;
  drivers: ProviderDrivers;
  results: ResultsRoot;
  metrics: Metrics;
  rateLimits: { signIn: RateLimiter; connectionTest: RateLimiter };
  scope(): Scope;
  /** Stops what this runtime started, the embedded PostgreSQL last. */
  close(): Promise<void>;
}

/** The validated configuration, or one line naming every bad variable and the process exits. */
export function configFromEnvironment(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

export interface ComposeOptions {
  config: Config;
  /** Default: JSON lines on stdout at LOG_LEVEL. */
  logger?: Logger;
  /** Only the API process may start the embedded PostgreSQL (when DATABASE_URL is unset). */
  embeddedAllowed: boolean;
  /** A command run beside the API: use the embedded PostgreSQL it already runs, when it does. */
  attachToEmbedded?: boolean;
}

export async function compose({
  config,
  logger = createLogger(config.logLevel, undefined, config.logFormat),
  embeddedAllowed,
  attachToEmbedded = false,
}: ComposeOptions): Promise<Runtime> {
  if (!config.databaseUrl && !embeddedAllowed) {
    throw new ConfigError([
      'DATABASE_URL must be set for a separate worker process (the embedded PostgreSQL belongs to the API process; keep OFFLOAD_WORKER=true there instead)',
    ]);
  }
  const keys = loadAppKeys(config);
  // The AWS SDK warns that it will need Node 22 from 2027; once is in the README.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (keys.generated) {
    logger.warn(`APP_KEY is not set: using a key generated into ${path.join(config.dataDir, 'app-key')}. Production must set its own APP_KEY.`);
  }
  const attached = !config.databaseUrl && attachToEmbedded ? runningEmbeddedUrl(path.join(config.dataDir, 'postgres')) : null;
  const embedded: EmbeddedDatabase | undefined =
    config.databaseUrl || attached ? undefined : await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPostgresPort, logger);
  const databaseUrl = config.databaseUrl ?? attached ?? embedded!.url;
  const cipher = new SettingsCipher(keys);
  const orm = await openDatabase(databaseUrl, ENTITIES, logger, cipher);
  const cache = new SharedCache(databaseUrl, logger);
  await cache.start();
  mkdirSync(config.resultsDir, { recursive: true });

  const drivers = new ProviderDrivers();
  const results = new ResultsRoot(config.resultsDir);
  const batcher = new FinalizeBatcher(orm.em.getConnection());
  const rateLimitStore = new RateLimitRepository(orm.em.getConnection());

  const scope = (): Scope => {
    const em = orm.em.fork();
    const storageSettings = new StorageSettingsService(em, cipher, config.license, cache);
    const locations = new StorageLocations(em, cipher, cache);
    const creativeRepository = new CreativeRepository(em, batcher);
    return {
      em,
      storageSettings,
      locations,
      creativeRepository,
      creatives: new CreativeService({ repository: creativeRepository, storage: storageSettings, locations, drivers, results, config }),
      auth: new AuthService(em, cache),
    };
  };

  return {
    config,
    keys,
    logger,
    orm,
    databaseUrl,
    cipher,
    cache,
    drivers,
    results,
    metrics: new Metrics(() => scope().creativeRepository.queueCounts()),
    rateLimits: {
      signIn: new RateLimiter(rateLimitStore, 'sign-in', 10, 15 * 60 * 1000),
      connectionTest: new RateLimiter(rateLimitStore, 'connection-test', 30, 60 * 1000),
    },
    scope,
    close: async () => {
      await cache.stop();
      await orm.close(true);
      await embedded?.stop();
    },
  };
}

/** How long requests in flight may take to finish once a shutdown begins. */
const DRAIN_MS = 10_000;

/** Stops accepting connections and waits for the requests in flight (at most DRAIN_MS, then cuts what is left). */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  await closed;
  clearTimeout(cut);
}

/**
 * Runs `stop` once on SIGINT (Ctrl-C) or SIGTERM, then exits. `stop` drains in order: requests,
 * then uploads (stopped cleanly after the queue's grace period, to resume after a restart), then
 * the database connections, and the embedded PostgreSQL last.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await stop().catch((error) => logger.error({ err: error }, 'error while shutting down'));
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
