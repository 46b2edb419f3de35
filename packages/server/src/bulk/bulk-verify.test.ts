import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { finalize, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const prefix = `scrub-${randomUUID().slice(0, 8)}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface JobView {
  id: string;
  kind: string;
  state: string;
  plannedItems: number;
  doneItems: number;
  failedItems: number;
  failures: { path: string; error: string }[];
}
interface Row {
  id: string;
  path: string;
  objectKey: string;
  localCopy: boolean;
  integrity: string | null;
}
const JOB_FIELDS = 'id kind state plannedItems doneItems failedItems failures(limit: 100) { path error }';

let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;
let location: string;
const rows: Row[] = [];

const gql = async <T>(query: string, variables: Record<string, unknown> = {}, headers = admin): Promise<T> => {
  const res = await app.graphql<T>(query, variables, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
};
async function finished(id: string): Promise<JobView> {
  for (const deadline = Date.now() + 60_000; ;) {
    const { bulkJob } = await gql<{ bulkJob: JobView }>(`query($id: ID!) { bulkJob(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (bulkJob.state !== 'RUNNING' || Date.now() > deadline) return bulkJob;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const integrityOf = async (id: string) =>
  (await gql<{ creative: { integrity: string | null; localCopy: boolean } }>('query($id: ID!) { creative(id: $id) { integrity localCopy } }', { id }, platform))
    .creative;
const stored = async (key: string) => sha256(await (await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))).Body!.transformToByteArray());
const local = (row: Row) => path.join(app.config.resultsDir, row.path);
const hashes = new Map<string, string>();

beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', OFFLOAD_LEASE_SECONDS: '5', LOG_LEVEL: 'warn' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  await configureR2(app, r2OnTestServer(target.full, { enabled: true, keyPrefix: prefix }));
  await gql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
  for (let i = 0; i < 20; i++) {
    const rel = `images/gemini/${String(i).padStart(2, '0')}-${randomUUID()}.png`;
    hashes.set(rel, await writeResult(app.config.resultsDir, rel, 30_000));
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    const done = await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED');
    rows.push({ id: done.id, path: rel, objectKey: done.objectKey!, localCopy: true, integrity: null });
  }
  const { storageLocations } = await gql<{ storageLocations: { id: string; bucket: string | null }[] }>('{ storageLocations { id bucket } }');
  location = storageLocations.find((l) => l.bucket === target.bucket)!.id;
});
afterAll(async () => {
  await app?.stop();
  await deletePrefix(target, prefix);
});

describe('verifying stored objects (a scrub)', () => {
  it('finds every planted corruption and deletion, repairs those with a local copy, and names the rest', async () => {
    // Planted behind Offload's back with an independent client: other bytes, and deletions; some with no local copy left.
    const [c1, c2, c3, d1, d2, cLost, dLost] = rows;
    for (const row of [c1, c2, c3, cLost]) await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: row!.objectKey, Body: randomBytes(30_000) }));
    for (const row of [d1, d2, dLost]) await s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: row!.objectKey }));
    for (const row of [cLost, dLost]) rmSync(local(row!));

    const { planVerifyStoredObjects } = await gql<{ planVerifyStoredObjects: { items: number } }>(
      'query($i: VerifyStoredObjectsInput!) { planVerifyStoredObjects(input: $i) { items } }',
      { i: { locationId: location } },
    );
    expect(planVerifyStoredObjects.items).toBe(20);
    const { verifyStoredObjects } = await gql<{ verifyStoredObjects: JobView }>(
      `mutation($i: VerifyStoredObjectsInput!) { verifyStoredObjects(input: $i) { ${JOB_FIELDS} } }`,
      {
        i: { locationId: location },
      },
    );
    const done = await finished(verifyStoredObjects.id);
    expect(done).toMatchObject({ kind: 'VERIFY', state: 'COMPLETED', doneItems: 18, failedItems: 2 });
    expect(done.failures.map((f) => [f.path, f.error]).sort()).toEqual(
      [
        [cLost!.path, expect.stringMatching(/does not match the SHA-256 recorded for it .*no local copy with the recorded bytes is left/)],
        [dLost!.path, expect.stringMatching(/is missing from bucket .*no local copy with the recorded bytes is left/)],
      ].sort(),
    );
    // Repaired: the bucket holds the recorded bytes again (read by the independent client).
    for (const row of [c1, c2, c3, d1, d2]) {
      expect(await stored(row!.objectKey), row!.path).toBe(hashes.get(row!.path));
      expect((await integrityOf(row!.id)).integrity).toBe('REPAIRED');
    }
    expect((await integrityOf(cLost!.id)).integrity).toBe('MISMATCH');
    expect((await integrityOf(dLost!.id)).integrity).toBe('MISSING');
    expect((await integrityOf(rows[10]!.id)).integrity).toBe('OK');
  });

  it('checks a random sample of exactly N results, wherever in the location it starts', async () => {
    // Each sample starts at a random place; one that did not wrap around to the start would come up short about three times in four.
    for (let i = 0; i < 4; i++) {
      const started = new Date();
      const { verifyStoredObjects } = await gql<{ verifyStoredObjects: JobView }>(
        `mutation($i: VerifyStoredObjectsInput!) { verifyStoredObjects(input: $i) { ${JOB_FIELDS} } }`,
        { i: { locationId: location, sample: 15 } },
      );
      expect(verifyStoredObjects.plannedItems).toBe(15);
      const done = await finished(verifyStoredObjects.id);
      expect(done.state).toBe('COMPLETED');
      expect(done.doneItems + done.failedItems).toBe(15);
      // Fifteen different results, each checked once.
      const [checked] = await app.orm.em.fork().execute(`select count(*)::int as n from creative where integrity_checked_at >= ?`, [started]);
      expect(checked?.n).toBe(15);
    }
  });

  it('runs a daily sample in every bucket holding results: scheduled in the queue’s crontab, and a job when it fires', async () => {
    const db = app.orm.em.getConnection();
    // The worker registered the schedule (03:00 UTC every day) with the queue.
    expect(await db.execute(`select identifier from graphile_worker._private_known_crontabs where identifier = 'verify-sample'`)).toHaveLength(1);
    // What the schedule queues, queued now.
    await db.execute(`select graphile_worker.add_job('verify-sample', '{}'::json)`);
    let sample: JobView & { createdBy: string } = undefined!;
    await expect
      .poll(
        async () => {
          const { bulkJobs } = await gql<{ bulkJobs: (JobView & { createdBy: string })[] }>(`{ bulkJobs { ${JOB_FIELDS} createdBy } }`);
          sample = bulkJobs.find((j) => j.createdBy === 'daily sample')!;
          return sample?.state;
        },
        { timeout: 20_000 },
      )
      .toBe('COMPLETED');
    expect(sample).toMatchObject({ kind: 'VERIFY', plannedItems: 20 });
  });

  it('refuses to verify the results disk, naming the field', async () => {
    const res = await app.graphql('mutation { verifyStoredObjects(input: { locationId: "1" }) { id } }', {}, admin);
    expect(res.errors?.[0]).toMatchObject({
      message: 'sourceLocationId must be a bucket: results on this server have no stored object to check',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('removing local copies', () => {
  it('deletes each local copy only once its object reads back as recorded, and keeps the ones whose object does not', async () => {
    const corrupted = rows[12]!;
    await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: corrupted.objectKey, Body: randomBytes(30_000) }));
    const withLocal = rows.filter((r) => existsSync(local(r)));
    const { planRemoveLocalCopies } = await gql<{ planRemoveLocalCopies: { items: number } }>(
      'query($i: RemoveLocalCopiesInput!) { planRemoveLocalCopies(input: $i) { items } }',
      { i: { locationId: location } },
    );
    // The two whose files were removed by hand above still say they have a local copy: they are taken, and skipped as failed.
    expect(planRemoveLocalCopies.items).toBe(20);
    const { removeLocalCopies } = await gql<{ removeLocalCopies: JobView }>(
      `mutation($i: RemoveLocalCopiesInput!) { removeLocalCopies(input: $i) { ${JOB_FIELDS} } }`,
      {
        i: { locationId: location },
      },
    );
    const done = await finished(removeLocalCopies.id);
    expect(done.state).toBe('COMPLETED');
    expect(done.failures.map((f) => f.path)).toContain(corrupted.path);
    expect(done.failures.find((f) => f.path === corrupted.path)?.error).toMatch(/does not read back as recorded: the local copy is kept$/);
    // The corrupted one's local copy is still there, byte for byte; every other verified one is gone, and says so.
    expect(existsSync(local(corrupted))).toBe(true);
    for (const row of withLocal.filter((r) => r !== corrupted)) {
      expect(existsSync(local(row)), row.path).toBe(false);
      expect((await integrityOf(row.id)).localCopy, row.path).toBe(false);
    }
  });
});
