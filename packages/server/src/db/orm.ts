import type { EntityClass } from '@mikro-orm/core';
import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { runMigrations } from 'graphile-worker';
import { queueLogger } from '../log/logger.js';
import type { Logger } from '../log/logger.js';
import { setMigrationContext, type MigrationContext } from './migrations/context.js';
import { migrationsList } from './migrations/index.js';

/** The ORM's settings; `entities` are the tables' classes (the composition root lists them). */
export function ormConfig(clientUrl: string, entities: EntityClass<object>[], logger?: Logger) {
  return defineConfig({
    clientUrl,
    // At LOG_LEVEL debug or trace every SQL query is logged (and can be counted).
    debug: logger?.isLevelEnabled('debug') ? ['query'] : false,
    logger: (message) => logger?.debug({ orm: message }),
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    // A couple of connections stay open between bursts: a new PostgreSQL backend costs ~6 ms of its CPU.
    pool: { min: 2, max: 10, idleTimeoutMillis: 60_000 },
    // Each request forks its own EntityManager; a global one would leak state between requests.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
  });
}

/**
 * Connects and applies every pending migration (ours, then the job queue's) before anything
 * serves. `context` opens encrypted settings for the migrations that move them.
 */
export async function openDatabase(clientUrl: string, entities: EntityClass<object>[], logger: Logger, context: MigrationContext): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(clientUrl, entities, logger));
  setMigrationContext(context);
  const applied = await orm
    .getMigrator()
    .up()
    .finally(() => setMigrationContext(undefined));
  if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  await runMigrations({ connectionString: clientUrl, logger: queueLogger(logger) });
  return orm;
}

export type { MikroORM };
