import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/harness.js';
import { finalize, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, s3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';
import { startTestApp } from '../../test/harness.js';

const target = s3TestTarget();
const prefix = `bulk-yield-${randomUUID().slice(0, 8)}`;
const LIBRARY = 120;

let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;

const gql = async <T>(query: string, variables: Record<string, unknown> = {}, headers = admin): Promise<T> => {
  const res = await app.graphql<T>(query, variables, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
};
const jobState = async (id: string) =>
  (await gql<{ bulkJob: { state: string; doneItems: number } }>('query($id: ID!) { bulkJob(id: $id) { state doneItems } }', { id })).bulkJob;

beforeAll(async () => {
  // One worker slot: a bulk job and the studios' new results compete for it.
  app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', OFFLOAD_CONCURRENCY: '1', LOG_LEVEL: 'warn' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  for (let i = 0; i < LIBRARY; i++) {
    const rel = `images/library/${String(i).padStart(3, '0')}-${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 96 * 1024);
    await finalize(app, platform, { path: rel, studio: 'IMAGE' });
  }
  await configureR2(app, r2OnTestServer(target.full, { enabled: true, keyPrefix: prefix }));
  await gql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
});
afterAll(async () => {
  await app?.stop();
  await deletePrefix(target, prefix);
});

describe('a bulk job and the studios sharing the workers', () => {
  it('gives its worker to new results as soon as they are finalized: at most the result in hand finishes before them', async () => {
    const { storageLocations } = await gql<{ storageLocations: { id: string; bucket: string | null }[] }>('{ storageLocations { id bucket } }');
    const bucket = storageLocations.find((l) => l.bucket === target.bucket)!.id;
    const { moveResults: job } = await gql<{ moveResults: { id: string } }>('mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }', {
      i: { sourceLocationId: '1', targetLocationId: bucket, deleteSource: false },
    });
    // Well inside the job's first batch.
    await expect.poll(async () => (await jobState(job.id)).doneItems, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(3);

    const fresh = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const rel = `images/new/${i}-${randomUUID()}.png`;
        await writeResult(app.config.resultsDir, rel, 32 * 1024);
        return (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id;
      }),
    );
    for (const id of fresh) await waitForStatus(app, platform, id, 'OFFLOADED', 20_000);
    const midJob = await jobState(job.id);
    expect(midJob.doneItems, 'the new results were offloaded while the job still had work').toBeLessThan(LIBRARY);

    await expect.poll(async () => (await jobState(job.id)).state, { timeout: 60_000 }).toBe('COMPLETED');
    // How many of the library's results the job moved between a new result's finalize and its offload.
    const db = app.orm.em.fork();
    for (const id of fresh) {
      const [ahead] = await db.execute(
        `select count(*)::int as n from creative c, creative f
         where f.id = ? and c.path like 'images/library/%' and c.offloaded_at > f.created_at and c.offloaded_at < f.offloaded_at`,
        [id],
      );
      expect(ahead?.n, `library results moved ahead of new result ${id}`).toBeLessThanOrEqual(2);
    }
    const [moved] = await db.execute(`select count(*)::int as n from creative where path like 'images/library/%' and offload_status = 'OFFLOADED'`);
    expect(moved?.n).toBe(LIBRARY);
  });
});
