import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from './harness.js';
import { writeResult } from './offload-fixtures.js';
import { independentS3Client, s3TestTarget } from './s3.js';
import { r2OnTestServer } from './storage-fixtures.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const MB = 1024 * 1024;
const ENV = { LICENSE_TYPE: 'extended', OFFLOAD_LEASE_SECONDS: '5', OFFLOAD_CONCURRENCY: '4', OFFLOAD_PART_SIZE_MB: '5', LOG_LEVEL: 'warn' };

async function gql<T>(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function statuses(server: ServerProcess, headers: Record<string, string>) {
  const data = await gql<{ creatives: { nodes: { id: string; path: string; offloadStatus: string; objectKey: string | null; lastError: string | null; offloadAttempts: number }[] } }>(
    server,
    '{ creatives(first: 500) { nodes { id path offloadStatus objectKey lastError offloadAttempts } } }',
    {},
    headers,
  );
  return data.creatives.nodes;
}

const objectSha = async (key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of res.Body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
};

let first: ServerProcess | undefined;
let second: ServerProcess | undefined;
afterAll(async () => {
  if (first?.process.exitCode === null && first.process.signalCode === null) first.process.kill('SIGKILL');
  await second?.stop();
});

describe('a crash in the middle of offloading a batch', () => {
  it('loses nothing: after SIGKILL and a restart every creative ends OFFLOADED, verified, and no local file went before its object', async () => {
    first = await startServerProcess(ENV);
    const signIn = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }', variables: { e: TEST_ADMIN.email, p: TEST_ADMIN.password } }),
    });
    const admin = { Cookie: signIn.headers.get('set-cookie')!.split(';')[0]! };
    const prefix = `crash-${randomUUID().slice(0, 8)}`;
    await gql(first, 'mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    await gql(first, 'mutation($i: CloudflareR2SettingsInput!) { saveCloudflareR2Settings(input: $i) { configured } }', { i: r2OnTestServer(target.full, { keyPrefix: prefix, enabled: true, deleteLocalCopy: true }) }, admin);
    await gql(first, 'mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
    const { createApiToken } = await gql<{ createApiToken: { token: string } }>(first, 'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token } }', {}, admin);
    const platform = { Authorization: `Bearer ${createApiToken.token}` };

    const resultsDir = path.join(first.dataDir, 'results');
    const files = [...Array.from({ length: 24 }, (_, i) => ({ rel: `images/gemini/${i}-${randomUUID()}.png`, size: 3 * MB })), ...Array.from({ length: 2 }, (_, i) => ({ rel: `videos/veo/${i}-${randomUUID()}.mp4`, size: 60 * MB }))];
    const sha = new Map<string, string>();
    for (const f of files) sha.set(f.rel, await writeResult(resultsDir, f.rel, f.size));
    await Promise.all(files.map((f) => gql(first!, 'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', { i: { path: f.rel, studio: f.rel.startsWith('videos') ? 'VIDEO' : 'IMAGE' } }, platform)));

    // Kill it mid-batch: some done, some not.
    const deadline = Date.now() + 60_000;
    let seen = await statuses(first, platform);
    while (seen.filter((c) => c.offloadStatus === 'OFFLOADED').length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await statuses(first, platform);
    }
    first.process.kill('SIGKILL');
    await new Promise((r) => first!.process.once('exit', r));
    const offloadedAtKill = seen.filter((c) => c.offloadStatus === 'OFFLOADED').length;
    expect(offloadedAtKill).toBeGreaterThanOrEqual(3);
    expect(offloadedAtKill).toBeLessThan(files.length);

    // Nothing lost at the moment of the crash: every missing local file has its verified object.
    for (const f of files) {
      if (existsSync(path.join(resultsDir, f.rel))) continue;
      const head = await s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: `${prefix}/${f.rel}` }));
      expect(head.ContentLength, f.rel).toBe(f.size);
      expect(head.Metadata?.sha256, f.rel).toBe(sha.get(f.rel));
    }

    second = await startServerProcess(ENV, { reuse: first });
    const finishBy = Date.now() + 120_000;
    let after = await statuses(second, platform);
    while (after.some((c) => c.offloadStatus !== 'OFFLOADED') && Date.now() < finishBy) {
      await new Promise((r) => setTimeout(r, 250));
      after = await statuses(second, platform);
    }
    expect(after.filter((c) => c.offloadStatus !== 'OFFLOADED')).toEqual([]);
    expect(after).toHaveLength(files.length);
    for (const c of after) {
      expect(await objectSha(c.objectKey!), c.path).toBe(sha.get(c.path));
      expect(existsSync(path.join(resultsDir, c.path)), c.path).toBe(false);
    }
  }, 240_000);
});
