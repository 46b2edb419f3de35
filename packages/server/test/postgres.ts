import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/log/logger.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let embedded: { database: Promise<EmbeddedDatabase>; users: number } | undefined;

/**
 * The PostgreSQL the suite creates its databases on: DATABASE_URL when set, otherwise an
 * embedded one under `.data/test-postgres` (real PostgreSQL either way). One embedded server per
 * process, shared (a benchmark starts several products while it holds one; a second server on
 * the same data directory would not start), and stopped when its last user stops it.
 */
export async function ensureTestPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  embedded ??= {
    database: startEmbeddedPostgres(path.join(repoRoot, '.data/test-postgres'), Number(process.env.TEST_EMBEDDED_POSTGRES_PORT ?? 54330), createLogger('warn')),
    users: 0,
  };
  const shared = embedded;
  shared.users++;
  const { url } = await shared.database;
  let stopped = false;
  return {
    url,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (--shared.users > 0) return;
      if (embedded === shared) embedded = undefined;
      await (await shared.database).stop();
    },
  };
}

/** A fresh, empty database of its own for one test file; `drop` removes it. */
export async function createTestDatabase(baseUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `offload_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
