import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAdminHeaders, processGraphql, startServerProcess, type ServerProcess } from '../../test/harness.js';
import { writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget, secondBucket, type S3TestTarget } from '../../test/s3.js';
import { r2OnTestServer } from '../../test/storage-fixtures.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const s3 = independentS3Client(targetA);
const prefix = `bulk-crash-${randomUUID().slice(0, 8)}`;
const ENV = { LICENSE_TYPE: 'extended', OFFLOAD_LEASE_SECONDS: '5', OFFLOAD_CONCURRENCY: '4', LOG_LEVEL: 'warn' };
const COUNT = 200;

const gql = processGraphql;
const signIn = processAdminHeaders;
const keysIn = async (target: S3TestTarget) => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
};
const objectSha = async (target: S3TestTarget, key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  return createHash('sha256')
    .update(await res.Body!.transformToByteArray())
    .digest('hex');
};

const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const server of servers.reverse()) await server.stop().catch(() => undefined);
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
});

/** The server in use: each phase kills it mid-job and starts another on the same database and folder. */
let server: ServerProcess;
let admin: Record<string, string>;
let platform: Record<string, string>;
const sha = new Map<string, string>();
const resultsDir = () => path.join(server.dataDir, 'results');
const q = <T>(query: string, variables: Record<string, unknown> = {}, headers = admin) => gql<T>(server, query, variables, headers);

interface Row {
  path: string;
  objectKey: string | null;
  localCopy: boolean;
  storageLocation: { id: string };
}
const rows = async () =>
  (await q<{ creatives: { nodes: Row[] } }>('{ creatives(first: 500) { nodes { path objectKey localCopy storageLocation { id } } } }', {}, platform)).creatives
    .nodes;
const locationIds = async () => {
  const { storageLocations } = await q<{ storageLocations: { id: string; bucket: string | null }[] }>('{ storageLocations { id bucket } }');
  return {
    local: '1',
    a: storageLocations.find((l) => l.bucket === targetA.bucket)?.id ?? '',
    b: storageLocations.find((l) => l.bucket === targetB.bucket)?.id ?? '',
  };
};
const saveBucket = (bucket: string) =>
  q('mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }', {
    i: r2OnTestServer(targetA.full, { enabled: true, keyPrefix: prefix, bucket }),
  });
const localSha = (rel: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(resultsDir(), rel)))
    .digest('hex');

/**
 * Starts a job (the mutation returns its id), kills the server with SIGKILL once some results are
 * done and before all are, starts another, and waits for the job to complete there.
 */
async function throughACrash(start: () => Promise<string>): Promise<{ doneItems: number; failedItems: number }> {
  const id = await start();
  const progress = async () =>
    (
      await q<{ bulkJob: { state: string; doneItems: number; failedItems: number } }>('query($id: ID!) { bulkJob(id: $id) { state doneItems failedItems } }', {
        id,
      })
    ).bulkJob;
  await expect.poll(async () => (await progress()).doneItems, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(20);
  server.process.kill('SIGKILL');
  await new Promise((r) => server.process.once('exit', r));
  // Killed mid-job (read from its database while no server runs): a crash after the last result would prove nothing about resuming.
  const db = new pg.Client({ connectionString: servers[0]!.database!.url });
  await db.connect();
  const {
    rows: [atKill],
  } = await db.query<{ state: string; finished: number }>(`select state, done_items + failed_items + skipped_items as finished from bulk_job where id = $1`, [
    id,
  ]);
  await db.end();
  expect(atKill).toMatchObject({ state: 'RUNNING' });
  expect(Number(atKill!.finished)).toBeLessThan(COUNT);
  const next = await startServerProcess(ENV, { reuse: servers[0] });
  servers.push(next);
  server = next;
  admin = await signIn(server);
  await expect.poll(async () => (await progress()).state, { timeout: 120_000, interval: 500 }).toBe('COMPLETED');
  return progress();
}

beforeAll(async () => {
  server = await startServerProcess(ENV);
  servers.push(server);
  admin = await signIn(server);
  await q('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }');
  const { createApiToken } = await q<{ createApiToken: { token: string } }>(
    'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token } }',
  );
  platform = { Authorization: `Bearer ${createApiToken.token}` };
  // A library of 200 results on this server, finalized while no bucket was active.
  for (let i = 0; i < COUNT; i++) {
    const rel = `images/gemini/${String(i).padStart(3, '0')}-${randomUUID()}.png`;
    sha.set(rel, await writeResult(resultsDir(), rel, 40_000));
    await q('mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', { i: { path: rel, studio: 'IMAGE' } }, platform);
  }
  await saveBucket(targetA.bucket);
  await q('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
}, 120_000);

describe('every bulk job through a SIGKILL mid-job', () => {
  it('offloads the existing library to A: every result in A, verified by an independent client, local copies kept', async () => {
    const { local, a } = await locationIds();
    const done = await throughACrash(
      async () =>
        (
          await q<{ moveResults: { id: string } }>('mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }', {
            i: { sourceLocationId: local, targetLocationId: a },
          })
        ).moveResults.id,
    );
    expect(done).toEqual({ state: 'COMPLETED', doneItems: COUNT, failedItems: 0 });
    const after = await rows();
    expect(after.filter((r) => r.storageLocation.id !== a)).toEqual([]);
    expect(await keysIn(targetA)).toEqual(after.map((r) => r.objectKey).sort());
    for (const r of after) expect(await objectSha(targetA, r.objectKey!), r.path).toBe(sha.get(r.path));
  }, 300_000);

  it('removes the local copies, each only after its object reads back: all gone, every object intact', async () => {
    const { a } = await locationIds();
    const done = await throughACrash(
      async () =>
        (
          await q<{ removeLocalCopies: { id: string } }>('mutation($i: RemoveLocalCopiesInput!) { removeLocalCopies(input: $i) { id } }', {
            i: { locationId: a },
          })
        ).removeLocalCopies.id,
    );
    expect(done.failedItems).toBe(0);
    const after = await rows();
    expect(after.filter((r) => r.localCopy)).toEqual([]);
    await expect.poll(() => [...sha.keys()].filter((rel) => existsSync(path.join(resultsDir(), rel))), { timeout: 15_000 }).toEqual([]);
    for (const r of after) expect(await objectSha(targetA, r.objectKey!), r.path).toBe(sha.get(r.path));
  }, 300_000);

  it('moves A → B deleting each source after its copy is recorded: all in B, verified; none left in A; no strays', async () => {
    await saveBucket(targetB.bucket);
    const { a, b } = await locationIds();
    const done = await throughACrash(
      async () =>
        (
          await q<{ moveResults: { id: string } }>('mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }', {
            i: { sourceLocationId: a, targetLocationId: b, deleteSource: true },
          })
        ).moveResults.id,
    );
    expect(done).toEqual({ state: 'COMPLETED', doneItems: COUNT, failedItems: 0 });
    const after = await rows();
    expect(after.filter((r) => r.storageLocation.id !== b)).toEqual([]);
    expect(await keysIn(targetB)).toEqual(after.map((r) => r.objectKey).sort());
    await expect.poll(() => keysIn(targetA), { timeout: 15_000 }).toEqual([]);
    for (const r of after) expect(await objectSha(targetB, r.objectKey!), r.path).toBe(sha.get(r.path));
  }, 300_000);

  it('downloads everything back from B deleting the objects: every file on the disk byte for byte, B empty', async () => {
    const { b, local } = await locationIds();
    const done = await throughACrash(
      async () =>
        (
          await q<{ moveResults: { id: string } }>('mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }', {
            i: { sourceLocationId: b, targetLocationId: local, deleteSource: true },
          })
        ).moveResults.id,
    );
    expect(done).toEqual({ state: 'COMPLETED', doneItems: COUNT, failedItems: 0 });
    const after = await rows();
    expect(after.filter((r) => r.storageLocation.id !== local || !r.localCopy || r.objectKey !== null)).toEqual([]);
    for (const r of after) expect(localSha(r.path), r.path).toBe(sha.get(r.path));
    await expect.poll(() => keysIn(targetB), { timeout: 15_000 }).toEqual([]);
  }, 300_000);
});
