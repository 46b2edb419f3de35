import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { processAdminHeaders, processGraphql, startServerProcess, type ServerProcess } from './harness.js';
import { writeResult } from './offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget } from './s3.js';
import { r2OnTestServer } from './storage-fixtures.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const MB = 1024 * 1024;
const ENV = { LICENSE_TYPE: 'extended', OFFLOAD_LEASE_SECONDS: '5', OFFLOAD_CONCURRENCY: '4', OFFLOAD_PART_SIZE_MB: '5', LOG_LEVEL: 'warn' };

const gql = processGraphql;

async function statuses(server: ServerProcess, headers: Record<string, string>) {
  const data = await gql<{
    creatives: { nodes: { id: string; path: string; offloadStatus: string; objectKey: string | null; lastError: string | null; offloadAttempts: number }[] };
  }>(server, '{ creatives(first: 500) { nodes { id path offloadStatus objectKey lastError offloadAttempts } } }', {}, headers);
  return data.creatives.nodes;
}

const objectSha = async (key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of res.Body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
};

const signInAdmin = processAdminHeaders;

/** R2 (on the test server) active, with these extra settings; returns platform token headers. */
async function goLive(server: ServerProcess, settings: Record<string, unknown>) {
  const admin = await signInAdmin(server);
  await gql(server, 'mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
  await gql(
    server,
    'mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }',
    { i: r2OnTestServer(target.full, { enabled: true, ...settings }) },
    admin,
  );
  await gql(server, 'mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
  const { createApiToken } = await gql<{ createApiToken: { token: string } }>(
    server,
    'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token } }',
    {},
    admin,
  );
  return { Authorization: `Bearer ${createApiToken.token}` };
}

async function waitAllOffloaded(server: ServerProcess, platform: Record<string, string>, count: number) {
  const finishBy = Date.now() + 120_000;
  let seen = await statuses(server, platform);
  while ((seen.length < count || seen.some((c) => c.offloadStatus !== 'OFFLOADED')) && Date.now() < finishBy) {
    await new Promise((r) => setTimeout(r, 250));
    seen = await statuses(server, platform);
  }
  return seen;
}

const started: ServerProcess[] = [];
/** The processes that created a database and folder (the others reuse one of theirs). */
const owners: ServerProcess[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const server of started) {
    if (server.process.exitCode !== null || server.process.signalCode !== null) continue;
    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGTERM');
    await exited;
  }
  for (const owner of owners) await owner.stop();
  for (const prefix of prefixes) await deletePrefix(target, prefix);
});

describe('a crash in the middle of offloading a batch', () => {
  it('loses nothing: after SIGKILL and a restart every creative ends OFFLOADED, verified, and no local file went before its object', async () => {
    const first = await startServerProcess(ENV);
    started.push(first);
    owners.push(first);
    const prefix = `crash-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const platform = await goLive(first, { keyPrefix: prefix, deleteLocalCopy: true });

    const resultsDir = path.join(first.dataDir, 'results');
    const files = [
      ...Array.from({ length: 24 }, (_, i) => ({ rel: `images/gemini/${i}-${randomUUID()}.png`, size: 3 * MB })),
      ...Array.from({ length: 2 }, (_, i) => ({ rel: `videos/veo/${i}-${randomUUID()}.mp4`, size: 60 * MB })),
    ];
    const sha = new Map<string, string>();
    for (const f of files) sha.set(f.rel, await writeResult(resultsDir, f.rel, f.size));
    await Promise.all(
      files.map((f) =>
        gql(
          first,
          'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }',
          { i: { path: f.rel, studio: f.rel.startsWith('videos') ? 'VIDEO' : 'IMAGE' } },
          platform,
        ),
      ),
    );

    // Kill it mid-batch: some done, some not.
    const deadline = Date.now() + 60_000;
    let seen = await statuses(first, platform);
    while (seen.filter((c) => c.offloadStatus === 'OFFLOADED').length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await statuses(first, platform);
    }
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));
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

    const second = await startServerProcess(ENV, { reuse: first });
    started.push(second);
    const after = await waitAllOffloaded(second, platform, files.length);
    expect(after.filter((c) => c.offloadStatus !== 'OFFLOADED')).toEqual([]);
    expect(after).toHaveLength(files.length);
    for (const c of after) expect(await objectSha(c.objectKey!), c.path).toBe(sha.get(c.path));
    // Local copies go once verified, including any a crash left behind mid-way.
    await expect.poll(() => files.filter((f) => existsSync(path.join(resultsDir, f.rel))), { timeout: 15_000 }).toEqual([]);
  }, 240_000);
});

describe('several processes on one database', () => {
  it('share the queue: an API without a worker, an API with one and a separate worker upload each creative exactly once', async () => {
    const metricsToken = 'metrics-token-0123456789abcdef';
    const env = { ...ENV, METRICS_TOKEN: metricsToken };
    const api = await startServerProcess({ ...env, OFFLOAD_WORKER: 'false' });
    started.push(api);
    owners.push(api);
    const apiWithWorker = await startServerProcess(env, { reuse: api });
    started.push(apiWithWorker);
    const worker = await startServerProcess(env, { reuse: api, entry: 'worker-main' });
    started.push(worker);
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);

    const prefix = `multi-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const platform = await goLive(api, { keyPrefix: prefix });
    const resultsDir = path.join(api.dataDir, 'results');
    const files = Array.from({ length: 30 }, (_, i) => `images/gemini/${i}-${randomUUID()}.png`);
    for (const rel of files) await writeResult(resultsDir, rel, 256 * 1024);
    await Promise.all(
      files.map((rel) =>
        gql(api, 'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', { i: { path: rel, studio: 'IMAGE' } }, platform),
      ),
    );

    const after = await waitAllOffloaded(api, platform, files.length);
    expect(after.filter((c) => c.offloadStatus !== 'OFFLOADED')).toEqual([]);
    expect(after.map((c) => c.offloadAttempts)).toEqual(files.map(() => 1));

    const offloaded = async (server: ServerProcess) => {
      const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      return [...text.matchAll(/^offload_jobs_total\{outcome="offloaded",provider="cloudflare-r2"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    expect((await offloaded(apiWithWorker)) + (await offloaded(worker))).toBe(files.length);
    expect(await offloaded(api)).toBe(0);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
  }, 180_000);
});

describe('each process caches settings and tokens', () => {
  it('and hears at once when another process changes them: a revoked token is refused, a new Default Storage is used', async () => {
    const a = await startServerProcess({ ...ENV, OFFLOAD_WORKER: 'false' });
    started.push(a);
    owners.push(a);
    const b = await startServerProcess({ ...ENV, OFFLOAD_WORKER: 'false' }, { reuse: a });
    started.push(b);
    const prefix = `cache-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const platform = await goLive(a, { keyPrefix: prefix });
    const resultsDir = path.join(a.dataDir, 'results');
    const finalizeOn = async (server: ServerProcess) => {
      const rel = `images/gemini/${randomUUID()}.png`;
      await writeResult(resultsDir, rel, 1024);
      return (
        await gql<{ finalizeCreative: { offloadStatus: string } }>(
          server,
          'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { offloadStatus } }',
          { i: { path: rel, studio: 'IMAGE' } },
          platform,
        )
      ).finalizeCreative.offloadStatus;
    };

    // B has the token and the settings in its cache now.
    expect(await finalizeOn(b)).toBe('QUEUED');
    expect(await finalizeOn(b)).toBe('QUEUED');

    // Settings changed through A: B's next finalize follows them.
    const admin = await signInAdmin(a);
    await gql(a, 'mutation { setDefaultStorage(storage: LOCAL) { effective { key } } }', {}, admin);
    await expect.poll(() => finalizeOn(b), { timeout: 2000, interval: 50 }).toBe('LOCAL');

    // Token revoked through A: B refuses it.
    const { apiTokens } = await gql<{ apiTokens: { id: string }[] }>(a, '{ apiTokens { id } }', {}, admin);
    await gql(a, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: apiTokens[0]!.id }, admin);
    const status = () =>
      fetch(`${b.url}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...platform },
        body: JSON.stringify({ query: '{ creativeCount }' }),
      }).then((r) => r.status);
    await expect.poll(status, { timeout: 2000, interval: 50 }).toBe(401);
  }, 60_000);
});
