import { rmSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { finalize, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, s3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';
import { startOffloadWorker } from '../offload/worker.js';

const OVERVIEW = `{ overview {
  localDisk { path freeBytes totalBytes }
  queue { queued uploading failed }
  latestFailures(limit: 3) { id path lastError }
  throughput { hour results bytes }
} }`;

interface OverviewView {
  localDisk: { path: string; freeBytes: number; totalBytes: number };
  queue: { queued: number; uploading: number; failed: number };
  latestFailures: { id: string; path: string; lastError: string }[];
  throughput: { hour: string; results: number; bytes: number }[];
}

describe('the overview', () => {
  let app: TestApp;
  let admin: Record<string, string>;
  const prefix = `overview-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'false', OFFLOAD_MAX_ATTEMPTS: '1' });
    await configureR2(app, r2OnTestServer(s3TestTarget().full, { enabled: true, keyPrefix: prefix }));
    admin = await app.adminHeaders();
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
  });
  afterAll(async () => {
    await app?.stop();
    await deletePrefix(s3TestTarget(), prefix);
  });

  const overview = async () => {
    const res = await app.graphql<{ overview: OverviewView }>(OVERVIEW, {}, admin);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.overview;
  };

  it('shows the queue, the latest failure with its reason, this hour’s offloads and the results disk’s free space', async () => {
    const platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
    const ids: string[] = [];
    for (const size of [100_000, 250_000]) {
      const rel = `images/${randomUUID()}.png`;
      await writeResult(app.config.resultsDir, rel, size);
      ids.push((await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id);
    }
    // A third whose file disappears before its upload: with one attempt allowed, it fails for good.
    const gone = `images/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, gone, 1000);
    const goneId = (await finalize(app, platform, { path: gone, studio: 'IMAGE' })).data!.finalizeCreative.id;
    rmSync(path.join(app.config.resultsDir, gone));
    expect((await overview()).queue).toEqual({ queued: 3, uploading: 0, failed: 0 });

    const worker = await startOffloadWorker(app.runtime);
    try {
      for (const id of ids) await waitForStatus(app, platform, id, 'OFFLOADED');
      await waitForStatus(app, platform, goneId, 'FAILED');
    } finally {
      await worker.stop();
    }

    const now = await overview();
    expect(now.queue).toEqual({ queued: 0, uploading: 0, failed: 1 });
    expect(now.latestFailures).toEqual([{ id: goneId, path: gone, lastError: `The local file ${gone} is missing, so it cannot be offloaded.` }]);
    expect(now.throughput).toHaveLength(24);
    const thisHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    expect(now.throughput.at(-1)!.hour).toBe(thisHour);
    // Both offloads, in this hour (or the one before, had the hour just turned).
    const busy = now.throughput.filter((h) => h.results > 0);
    expect(busy.reduce((sum, h) => ({ results: sum.results + h.results, bytes: sum.bytes + h.bytes }), { results: 0, bytes: 0 })).toEqual({
      results: 2,
      bytes: 350_000,
    });
    expect(now.throughput.slice(-2)).toEqual(expect.arrayContaining(busy));
    expect(now.localDisk.path).toBe(app.config.resultsDir);
    expect(now.localDisk.freeBytes).toBeGreaterThan(0);
    expect(now.localDisk.totalBytes).toBeGreaterThanOrEqual(now.localDisk.freeBytes);
  });

  it('refuses a throughput window it would not answer quickly, naming the argument', async () => {
    const res = await app.graphql('{ overview { throughput(hours: 10000) { hour } } }', {}, admin);
    expect(res.errors?.[0]).toMatchObject({ message: 'hours must be between 1 and 168', extensions: { code: 'BAD_USER_INPUT', field: 'hours' } });
  });
});
