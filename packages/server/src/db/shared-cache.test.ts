import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { finalize, writeResult } from '../../test/offload-fixtures.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';

describe('the settings and token cache', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  const finalizeOne = async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    return (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.offloadStatus as string;
  };

  beforeAll(async () => {
    app = await startTestApp({ LICENSE_TYPE: 'extended' });
    await configureR2(app, r2OnTestServer(undefined, { keyPrefix: `cache-${randomUUID().slice(0, 8)}`, enabled: true }));
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, await app.adminHeaders());
    platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  });
  afterAll(() => app.stop());

  it('never serves stale settings after losing its notifications: it reads the database until they are back', async () => {
    expect(await finalizeOne()).toBe('QUEUED'); // cached now
    const em = app.orm.em.fork();
    // Cut the listening connection, then change the Default Storage without any notification
    // (triggers off for this session): exactly what a notification lost in the outage looks like.
    await em.execute(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = 'listen offload_cache'`);
    await em.transactional(async (tx) => {
      await tx.execute(`set local session_replication_role = replica`);
      await tx.execute(`update setting set value = '{"provider": "local"}'::jsonb where key = 'default-storage'`);
    });
    await expect.poll(finalizeOne, { timeout: 3000, interval: 50 }).toBe('LOCAL');
    // And once listening again, still the current settings.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await finalizeOne()).toBe('LOCAL');
  });
});
