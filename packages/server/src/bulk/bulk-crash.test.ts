import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../../test/harness.js';
import { writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget, secondBucket, type S3TestTarget } from '../../test/s3.js';
import { r2OnTestServer } from '../../test/storage-fixtures.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const s3 = independentS3Client(targetA);
const prefix = `bulk-crash-${randomUUID().slice(0, 8)}`;
const ENV = { LICENSE_TYPE: 'extended', OFFLOAD_LEASE_SECONDS: '5', OFFLOAD_CONCURRENCY: '4', LOG_LEVEL: 'warn' };
const COUNT = 200;

async function gql<T>(server: ServerProcess, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
async function signIn(server: ServerProcess): Promise<Record<string, string>> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
      variables: { e: TEST_ADMIN.email, p: TEST_ADMIN.password },
    }),
  });
  return { Cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}
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

describe('a bulk move through a crash', () => {
  it('moves every result A → B after a SIGKILL mid-job: each verified in B by an independent client, none left in A, no strays', async () => {
    const first = await startServerProcess(ENV);
    servers.push(first);
    const admin = await signIn(first);
    const save = (bucket: string) =>
      gql(
        first,
        'mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }',
        { i: r2OnTestServer(targetA.full, { enabled: true, keyPrefix: prefix, bucket }) },
        admin,
      );
    await gql(first, 'mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    await save(targetA.bucket);
    await gql(first, 'mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
    const { createApiToken } = await gql<{ createApiToken: { token: string } }>(
      first,
      'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token } }',
      {},
      admin,
    );
    const platform = { Authorization: `Bearer ${createApiToken.token}` };

    // 200 results offloaded to A.
    const sha = new Map<string, string>();
    for (let i = 0; i < COUNT; i++) {
      const rel = `images/gemini/${String(i).padStart(3, '0')}-${randomUUID()}.png`;
      sha.set(rel, await writeResult(path.join(first.dataDir, 'results'), rel, 40_000));
      await gql(first, 'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', { i: { path: rel, studio: 'IMAGE' } }, platform);
    }
    await expect.poll(async () => (await keysIn(targetA)).length, { timeout: 120_000, interval: 500 }).toBe(COUNT);

    // The bucket changes to B; the library moves there, deleting each source once its copy is recorded.
    await save(targetB.bucket);
    const { storageLocations } = await gql<{ storageLocations: { id: string; bucket: string | null }[] }>(
      first,
      '{ storageLocations { id bucket } }',
      {},
      admin,
    );
    const [a, b] = [targetA.bucket, targetB.bucket].map((bucket) => storageLocations.find((l) => l.bucket === bucket)!.id);
    const { moveResults } = await gql<{ moveResults: { id: string } }>(
      first,
      'mutation($i: MoveResultsInput!) { moveResults(input: $i) { id } }',
      { i: { sourceLocationId: a, targetLocationId: b, deleteSource: true } },
      admin,
    );
    const progress = async (server: ServerProcess) =>
      (
        await gql<{ bulkJob: { state: string; doneItems: number; failedItems: number } }>(
          server,
          'query($id: ID!) { bulkJob(id: $id) { state doneItems failedItems } }',
          { id: moveResults.id },
          admin,
        )
      ).bulkJob;
    await expect.poll(async () => (await progress(first)).doneItems, { timeout: 60_000, interval: 25 }).toBeGreaterThanOrEqual(30);
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));
    const atKill = await keysIn(targetB);
    expect(atKill.length).toBeLessThan(COUNT);

    const second = await startServerProcess(ENV, { reuse: first });
    servers.push(second);
    await expect.poll(async () => (await progress(second)).state, { timeout: 120_000, interval: 500 }).toBe('COMPLETED');
    expect(await progress(second)).toMatchObject({ doneItems: COUNT, failedItems: 0 });

    // Every result in B, verified by an independent client against the file it came from; nothing left in A, nothing extra in B.
    const { creatives } = await gql<{ creatives: { nodes: { path: string; objectKey: string; storageLocation: { id: string } }[] } }>(
      second,
      '{ creatives(first: 500) { nodes { path objectKey storageLocation { id } } } }',
      {},
      platform,
    );
    expect(creatives.nodes).toHaveLength(COUNT);
    expect(creatives.nodes.filter((c) => c.storageLocation.id !== b)).toEqual([]);
    expect(await keysIn(targetB)).toEqual(creatives.nodes.map((c) => c.objectKey).sort());
    await expect.poll(() => keysIn(targetA), { timeout: 15_000 }).toEqual([]);
    for (const c of creatives.nodes) expect(await objectSha(targetB, c.objectKey), c.path).toBe(sha.get(c.path));
  }, 300_000);
});
