import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/harness.js';
import { finalize, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget, secondBucket, type S3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';
import { startTestApp } from '../../test/harness.js';
import { pauseAfterLastAttempt } from './bulk.task.js';
import { BulkJobRepository } from './bulk-job.repository.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const s3 = independentS3Client(targetA);
const prefix = `bulk-${randomUUID().slice(0, 8)}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const JOB_FIELDS = `id state deleteSource plannedItems plannedBytes doneItems doneBytes skippedItems failedItems lastError
  source { id label } target { id label } itemsPerSecond etaSeconds failures { creativeId path error }`;
interface JobView {
  id: string;
  state: string;
  plannedItems: number;
  plannedBytes: number;
  doneItems: number;
  doneBytes: number;
  skippedItems: number;
  failedItems: number;
  lastError: string | null;
  failures: { creativeId: string; path: string | null; error: string }[];
}
interface Row {
  id: string;
  path: string;
  offloadStatus: string;
  objectKey: string | null;
  localCopy: boolean;
  sha256: string | null;
  storageLocation: { id: string };
}

let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;
const files = new Map<string, string>(); // path → SHA-256
const contents = new Map<string, Buffer>();

const gql = async <T>(query: string, variables: Record<string, unknown> = {}, headers = admin): Promise<T> => {
  const res = await app.graphql<T>(query, variables, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
};
const rows = async () =>
  (
    await gql<{ creatives: { nodes: Row[] } }>(
      '{ creatives(first: 500) { nodes { id path offloadStatus objectKey localCopy sha256 storageLocation { id } } } }',
      {},
      platform,
    )
  ).creatives.nodes;
const locationIds = async () => {
  const { storageLocations } = await gql<{ storageLocations: { id: string; bucket: string | null; current: boolean }[] }>(
    '{ storageLocations { id bucket current } }',
  );
  return { local: '1', a: storageLocations.find((l) => l.bucket === targetA.bucket)?.id, b: storageLocations.find((l) => l.bucket === targetB.bucket)?.id };
};
const move = (input: Record<string, unknown>) =>
  gql<{ moveResults: JobView }>(`mutation($i: MoveResultsInput!) { moveResults(input: $i) { ${JOB_FIELDS} } }`, { i: input });
const job = async (id: string) => (await gql<{ bulkJob: JobView }>(`query($id: ID!) { bulkJob(id: $id) { ${JOB_FIELDS} } }`, { id })).bulkJob;
async function finished(id: string, timeoutMs = 60_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await job(id);
    if (seen.state !== 'RUNNING' || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 200));
  }
}
/** A running move with no batch queued for it, as a worker that died on a batch's last try leaves one. */
const strandedJob = (route: { sourceLocationId: number; targetLocationId: number }) =>
  new BulkJobRepository(app.orm.em.fork()).insert({
    kind: 'MOVE',
    filter: {},
    ...route,
    deleteSource: false,
    limitItems: null,
    plannedItems: 30,
    plannedBytes: 0,
    plannedEstimated: false,
    createdBy: 'test',
  });
const keysIn = async (target: S3TestTarget) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/` }))).Contents ?? []).map((o) => o.Key!).sort();
const objectSha = async (target: S3TestTarget, key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  return sha256(Buffer.from(await res.Body!.transformToByteArray()));
};

beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', OFFLOAD_LEASE_SECONDS: '5', LOG_LEVEL: 'warn' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  // A library that existed before any bucket: 30 results on the results disk.
  for (let i = 0; i < 30; i++) {
    const rel = `${i % 3 === 0 ? 'videos/veo' : 'images/gemini'}/${String(i).padStart(2, '0')}-${randomUUID()}.${i % 3 === 0 ? 'mp4' : 'png'}`;
    files.set(rel, await writeResult(app.config.resultsDir, rel, 20_000 + i * 1000));
    contents.set(rel, readFileSync(path.join(app.config.resultsDir, rel)));
    await finalize(app, platform, { path: rel, studio: i % 3 === 0 ? 'VIDEO' : 'IMAGE' });
  }
  // Bucket A becomes the Default Storage: only new results would go there.
  await configureR2(app, r2OnTestServer(targetA.full, { enabled: true, keyPrefix: prefix }));
  await gql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
});
afterAll(async () => {
  await app?.stop();
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
});

describe('bulk moves between storage locations', () => {
  it('counts what a move would take before starting it (the dry run)', async () => {
    const { local, a } = await locationIds();
    const { planMoveResults } = await gql<{ planMoveResults: { items: number; bytes: number } }>(
      'query($i: MoveResultsInput!) { planMoveResults(input: $i) { items bytes } }',
      { i: { sourceLocationId: local, targetLocationId: a, filter: { studio: 'VIDEO' } } },
    );
    const videos = [...files.keys()].filter((p) => p.startsWith('videos/'));
    expect(planMoveResults.items).toBe(videos.length);
    expect(planMoveResults.bytes).toBe(videos.reduce((sum, p) => sum + readFileSync(path.join(app.config.resultsDir, p)).length, 0));
  });

  it('refuses a move onto its own source, and an unknown location, by field', async () => {
    const res = await app.graphql('mutation { moveResults(input: { sourceLocationId: "1", targetLocationId: "1" }) { id } }', {}, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'targetLocationId' });
    const unknown = await app.graphql('mutation { moveResults(input: { sourceLocationId: "1", targetLocationId: "999" }) { id } }', {}, admin);
    expect(unknown.errors?.[0]?.message).toBe('targetLocationId 999 is not a storage location');
  });

  it('offloads the existing library to the active bucket, each object verified, and removes the local copies only after', async () => {
    const { local, a } = await locationIds();
    const started = (await move({ sourceLocationId: local, targetLocationId: a, deleteSource: true })).moveResults;
    expect(started).toMatchObject({ state: 'RUNNING', plannedItems: 30 });
    const done = await finished(started.id);
    expect(done).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0, skippedItems: 0 });
    for (const row of await rows()) {
      expect(row).toMatchObject({ offloadStatus: 'OFFLOADED', objectKey: `${prefix}/${row.path}`, storageLocation: { id: a }, sha256: files.get(row.path) });
      expect(await objectSha(targetA, row.objectKey!), row.path).toBe(files.get(row.path));
    }
    await expect.poll(() => [...files.keys()].filter((p) => existsSync(path.join(app.config.resultsDir, p))), { timeout: 10_000 }).toEqual([]);
  });

  it('moves A → B with source deletion; a missing and a corrupted source object fail alone, stay where they were, and succeed on retry once repaired', async () => {
    await configureR2(app, r2OnTestServer(targetA.full, { enabled: true, keyPrefix: prefix, bucket: targetB.bucket }));
    const { a, b } = await locationIds();
    const before = await rows();
    const [missing, corrupted] = before;
    const missingBytes = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: targetA.bucket, Key: missing!.objectKey! }))).Body!.transformToByteArray(),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: targetA.bucket, Key: missing!.objectKey! }));
    await s3.send(new PutObjectCommand({ Bucket: targetA.bucket, Key: corrupted!.objectKey!, Body: randomBytes(100) }));

    const started = (await move({ sourceLocationId: a, targetLocationId: b, deleteSource: true })).moveResults;
    const done = await finished(started.id);
    expect(done).toMatchObject({ state: 'COMPLETED', doneItems: 28, failedItems: 2 });
    expect(done.failures.map((f) => [f.path, f.error]).sort()).toEqual(
      [
        [missing!.path, expect.stringMatching(/^No object at /)],
        [corrupted!.path, expect.stringMatching(/does not match the SHA-256 recorded for it \(/)],
      ].sort(),
    );
    const after = new Map((await rows()).map((r) => [r.path, r]));
    for (const [p, sha] of files) {
      const row = after.get(p)!;
      const failed = p === missing!.path || p === corrupted!.path;
      expect(row.storageLocation.id, p).toBe(failed ? a : b);
      if (!failed) expect(await objectSha(targetB, row.objectKey!), p).toBe(sha);
    }
    // Only the two failed results are still in A: every other source went after its copy was recorded.
    expect(await keysIn(targetA)).toEqual([missing!.objectKey, corrupted!.objectKey].filter((k) => k !== missing!.objectKey).sort());

    // Repaired (the object restored, the corrupted one rewritten with its bytes), a retry finishes the job.
    await s3.send(new PutObjectCommand({ Bucket: targetA.bucket, Key: missing!.objectKey!, Body: missingBytes }));
    await s3.send(new PutObjectCommand({ Bucket: targetA.bucket, Key: corrupted!.objectKey!, Body: contents.get(corrupted!.path)! }));
    await gql(`mutation($id: ID!) { retryBulkJobFailures(id: $id) { id } }`, { id: started.id });
    expect(await finished(started.id)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0, failures: [] });
    expect(await keysIn(targetA)).toEqual([]);
    for (const row of await rows()) expect(await objectSha(targetB, row.objectKey!), row.path).toBe(files.get(row.path));
  });

  it('pauses (nothing moves while paused) and resumes where it stopped', async () => {
    const { b, local } = await locationIds();
    const started = (await move({ sourceLocationId: b, targetLocationId: local, deleteSource: false })).moveResults;
    const paused = (await gql<{ pauseBulkJob: JobView }>(`mutation($id: ID!) { pauseBulkJob(id: $id) { ${JOB_FIELDS} } }`, { id: started.id })).pauseBulkJob;
    expect(paused.state).toBe('PAUSED');
    // A second move of the same results is refused while this one is paused (it would race it for each).
    const second = await app.graphql(
      `mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }`,
      { i: { sourceLocationId: b, targetLocationId: local } },
      admin,
    );
    expect(second.errors?.[0]).toMatchObject({ extensions: { code: 'BULK_JOB_OVERLAP' } });
    expect(second.errors?.[0]?.message).toBe(`Bulk job ${started.id} is already paused over the results of this location: let it finish, or cancel it, first`);
    // The result in hand (if any) finishes; then nothing more.
    await new Promise((r) => setTimeout(r, 1000));
    const settled = (await job(started.id)).doneItems;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await job(started.id)).doneItems).toBe(settled);
    expect(settled).toBeLessThan(30);
    const again = await app.graphql(`mutation($id: ID!) { pauseBulkJob(id: $id) { id } }`, { id: started.id }, admin);
    expect(again.errors?.[0]).toMatchObject({ message: `Bulk job ${started.id} is paused: it cannot be paused`, extensions: { code: 'BULK_JOB_STATE' } });

    await gql(`mutation($id: ID!) { resumeBulkJob(id: $id) { id } }`, { id: started.id });
    expect(await finished(started.id)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0 });
    // Downloaded back, verified: every file on the results disk again, byte for byte; the bucket keeps its copies (no deletion asked).
    for (const [p, sha] of files) expect(sha256(readFileSync(path.join(app.config.resultsDir, p))), p).toBe(sha);
    const after = await rows();
    expect(after.every((r) => r.offloadStatus === 'LOCAL' && r.storageLocation.id === local && r.objectKey === null && r.localCopy)).toBe(true);
    expect(await keysIn(targetB)).toHaveLength(30);
  });

  it('cancels: what moved stays moved, the rest stays where it was, each result whole in one place', async () => {
    const { b, local } = await locationIds();
    const started = (await move({ sourceLocationId: local, targetLocationId: b, deleteSource: true })).moveResults;
    const canceled = (await gql<{ cancelBulkJob: JobView }>(`mutation($id: ID!) { cancelBulkJob(id: $id) { ${JOB_FIELDS} } }`, { id: started.id }))
      .cancelBulkJob;
    expect(canceled.state).toBe('CANCELED');
    await new Promise((r) => setTimeout(r, 1500));
    for (const row of await rows()) {
      if (row.storageLocation.id === b) expect(await objectSha(targetB, row.objectKey!), row.path).toBe(files.get(row.path));
      else expect(sha256(readFileSync(path.join(app.config.resultsDir, row.path))), row.path).toBe(files.get(row.path));
    }
  });

  it('a bucket → bucket move deletes the source objects only: the local copies stay, and an object a result references again is never deleted', async () => {
    const { a, b, local } = await locationIds();
    // Every result in B with its local copy kept: back to the disk, then up again without deleting.
    const down = (await move({ sourceLocationId: b, targetLocationId: local, deleteSource: false })).moveResults;
    expect(await finished(down.id)).toMatchObject({ state: 'COMPLETED', failedItems: 0 });
    const up = (await move({ sourceLocationId: local, targetLocationId: b, deleteSource: false })).moveResults;
    expect(await finished(up.id)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0 });
    expect((await rows()).every((r) => r.storageLocation.id === b && r.localCopy)).toBe(true);

    const across = (await move({ sourceLocationId: b, targetLocationId: a, deleteSource: true })).moveResults;
    expect(await finished(across.id)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0 });
    expect(await keysIn(targetB)).toEqual([]);
    // Two worker ticks later (they finish any local deletions left to do), every local copy is still there, byte for byte.
    await new Promise((r) => setTimeout(r, 4000));
    for (const row of await rows()) {
      expect(row, row.path).toMatchObject({ storageLocation: { id: a }, localCopy: true });
      expect(sha256(readFileSync(path.join(app.config.resultsDir, row.path))), row.path).toBe(files.get(row.path));
    }

    // A deletion left over from an earlier move out of A under a key a result holds again (as a crash between a move's switch and its delete leaves it).
    const [kept] = await rows();
    const db = app.orm.em.fork();
    await db.execute(`insert into bulk_pending_delete (location_id, object_key) values (?, ?)`, [a, kept!.objectKey]);
    await expect.poll(async () => (await db.execute(`select count(*)::int as n from bulk_pending_delete`))[0]?.n, { timeout: 10_000 }).toBe(0);
    expect(await objectSha(targetA, kept!.objectKey!)).toBe(files.get(kept!.path));
  });

  it('pauses a job whose batch failed on its last try, saying why; resuming clears the reason and finishes it', async () => {
    const { a, local } = await locationIds();
    // A running job whose batch has just failed for the last time (none is queued for it).
    const stuck = await strandedJob({ sourceLocationId: Number(a), targetLocationId: Number(local) });
    await pauseAfterLastAttempt(app.runtime, stuck.id, new Error('connection to the database was refused'));
    expect(await job(stuck.id)).toMatchObject({
      state: 'PAUSED',
      lastError: 'Paused after its batch failed 25 times: connection to the database was refused. Resume it to try again.',
    });
    await gql(`mutation($id: ID!) { resumeBulkJob(id: $id) { id } }`, { id: stuck.id });
    expect(await job(stuck.id)).toMatchObject({ lastError: null });
    expect(await finished(stuck.id)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0, lastError: null });
  });

  it('queues a batch again for a running job that has none left (its worker killed on the last try), and it finishes', async () => {
    const { a, local } = await locationIds();
    const stuck = await strandedJob({ sourceLocationId: Number(local), targetLocationId: Number(a) });
    // Untouched for a minute, as such a job would be by the time anyone looks.
    await app.orm.em.fork().execute(`update bulk_job set updated_at = now() - interval '2 minutes' where id = ?`, [stuck.id]);
    expect(await finished(stuck.id, 20_000)).toMatchObject({ state: 'COMPLETED', doneItems: 30, failedItems: 0 });
  });

  it('removes the temporary copy a move killed mid-copy left behind, and keeps the one a running move holds', async () => {
    const tmp = path.join(app.config.dataDir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const [held] = await rows();
    const live = randomUUID();
    await app.orm.em.fork().execute(`update creative set lease_token = ?, lease_expires_at = now() + interval '1 minute' where id = ?`, [live, held!.id]);
    const dead = randomUUID();
    for (const token of [live, dead]) writeFileSync(path.join(tmp, `bulk-${token}`), randomBytes(1000));
    await expect.poll(() => existsSync(path.join(tmp, `bulk-${dead}`)), { timeout: 10_000 }).toBe(false);
    expect(existsSync(path.join(tmp, `bulk-${live}`))).toBe(true);
    await app.orm.em.fork().execute(`update creative set lease_token = null, lease_expires_at = null where id = ?`, [held!.id]);
    await expect.poll(() => existsSync(path.join(tmp, `bulk-${live}`)), { timeout: 10_000 }).toBe(false);
  });
});
