import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { runMigrations } from 'graphile-worker';
import { queueLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { migrationsList } from './migrations/index.js';
import { AdminSession } from '../auth/admin-session.entity.js';
import { AdminUser } from '../auth/admin-user.entity.js';
import { ApiToken } from '../auth/api-token.entity.js';
import { Creative } from '../creatives/creative.entity.js';
import { Setting } from './setting.entity.js';

export const entities = [Setting, AdminUser, AdminSession, ApiToken, Creative];

export function ormConfig(clientUrl: string, logger?: Logger) {
  return defineConfig({
    clientUrl,
    // At LOG_LEVEL debug or trace every SQL query is logged (and can be counted).
    debug: logger?.isLevelEnabled('debug') ? ['query'] : false,
    logger: (message) => logger?.debug({ orm: message }),
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: 10 },
    // Each request forks its own EntityManager; a global one would leak state between requests.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
  });
}

/** Connects and applies every pending migration (ours, then the job queue's) before anything serves. */
export async function openDatabase(clientUrl: string, logger: Logger): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(clientUrl, logger));
  const applied = await orm.getMigrator().up();
  if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  await runMigrations({ connectionString: clientUrl, logger: queueLogger(logger) });
  return orm;
}

export type { MikroORM };
