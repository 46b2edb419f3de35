import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/harness.js';
import { startTestApp } from '../../test/harness.js';
import { BulkJobRepository } from './bulk-job.repository.js';

const ROWS = 300_000;
let app: TestApp;

const plan = (filter: Parameters<BulkJobRepository['plan']>[2], exactBelow?: number) =>
  new BulkJobRepository(app.orm.em.fork()).plan('MOVE', 1, filter, null, exactBelow);

beforeAll(async () => {
  app = await startTestApp({ LOG_LEVEL: 'warn' });
  // A library on the results disk: a quarter in images/gemini, the rest elsewhere, over a year, sizes 1,000–1,999 bytes.
  await app.orm.em.fork().execute(
    `insert into creative (id, path, studio, content_type, metadata, size, location_id, offload_status, local_copy, created_at, updated_at)
     select gen_random_uuid(), case when i % 4 = 0 then 'images/gemini/' else 'images/other/' end || i || '.png', 'IMAGE', 'image/png', '{}',
       1000 + i % 1000, 1, 'LOCAL', true, timestamptz '2026-01-01' + i * interval '100 seconds', now()
     from generate_series(1, ${ROWS}) i`,
  );
  // And a small folder: twelve results among them.
  await app.orm.em.fork().execute(
    `insert into creative (id, path, studio, content_type, metadata, size, location_id, offload_status, local_copy, created_at, updated_at)
     select gen_random_uuid(), 'images/rare/' || i || '.png', 'IMAGE', 'image/png', '{}', 500, 1, 'LOCAL', true, now(), now() from generate_series(1, 12) i`,
  );
  await app.orm.em.fork().execute('analyze creative');
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

describe('the dry run of a job over a folder or dates', () => {
  it('counts a small folder exactly, however large the location', async () => {
    expect(await plan({ pathPrefix: 'images/rare' })).toEqual({ items: 12, bytes: 12 * 500, estimated: false });
  });

  it('estimates a folder or a date range holding many results from a sample, says so, and lands within a few percent here', async () => {
    const filters = [{ pathPrefix: 'images/gemini' }, { createdBefore: new Date(Date.parse('2026-01-01') + (ROWS / 2) * 100_000).toISOString() }];
    for (const filter of filters) {
      const exact = await plan(filter, Infinity);
      expect(exact.estimated).toBe(false);
      // 75,000 and 150,000 results: over the exact-count limit.
      const estimate = await plan(filter);
      expect(estimate.estimated, JSON.stringify(filter)).toBe(true);
      expect(Math.abs(estimate.items - exact.items) / exact.items, JSON.stringify(filter)).toBeLessThan(0.1);
      expect(Math.abs(estimate.bytes - exact.bytes) / exact.bytes, JSON.stringify(filter)).toBeLessThan(0.1);
    }
    expect((await plan(filters[0]!, Infinity)).items).toBe(ROWS / 4);
  });

  it('shows a job started from an estimate as one until it completes, then what it found', async () => {
    const jobs = new BulkJobRepository(app.orm.em.fork());
    const job = await jobs.insert({
      kind: 'MOVE',
      filter: { pathPrefix: 'images/gemini' },
      sourceLocationId: 1,
      targetLocationId: 1,
      deleteSource: false,
      limitItems: null,
      plannedItems: 74_000,
      plannedBytes: 111_000_000,
      plannedEstimated: true,
      createdBy: 'test',
    });
    await jobs.transition(job.id, ['RUNNING'], 'PAUSED');
    const ran = await jobs.transition(job.id, ['PAUSED'], 'RUNNING');
    expect(ran).toMatchObject({ plannedItems: 74_000, plannedEstimated: true });
    await jobs.progress(job.id, { id: '00000000-0000-4000-8000-000000000001', retry: false }, { kind: 'done', bytes: 1500 });
    await jobs.progress(job.id, { id: '00000000-0000-4000-8000-000000000002', retry: false }, { kind: 'skipped' });
    expect(await jobs.transition(job.id, ['RUNNING'], 'COMPLETED')).toMatchObject({ plannedItems: 2, plannedBytes: 1500, plannedEstimated: false });
    await app.orm.em.fork().execute('delete from bulk_job where id = ?', [job.id]);
  });
});
