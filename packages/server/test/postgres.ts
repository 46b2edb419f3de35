import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/log/logger.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let embedded: Promise<EmbeddedDatabase> | undefined;

/**
 * The PostgreSQL the suite creates its databases on: DATABASE_URL when set, otherwise an
 * embedded one under `.data/test-postgres` (real PostgreSQL either way).
 */
export function ensureTestPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return Promise.resolve({ url: process.env.DATABASE_URL, stop: async () => {} });
  // One per process: a benchmark starts several products on it (a second start on the same data directory would fail).
  embedded ??= startEmbeddedPostgres(
    path.join(repoRoot, '.data/test-postgres'),
    Number(process.env.TEST_EMBEDDED_POSTGRES_PORT ?? 54330),
    createLogger('warn'),
  );
  return embedded;
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
