import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { creative, finalize, startOffloadingApp, waitForStatus, writeResult, type CreativeView } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, PUBLIC_PREFIX, publicBucketUrl, s3TestTarget } from '../../test/s3.js';
import { configureR2 } from '../../test/storage-fixtures.js';
import { TcpProxy } from '../../test/tcp-proxy.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const publicUrl = await publicBucketUrl(target);
const MB = 1024 * 1024;
const EVERY_CREATIVE_FIELD =
  'id path studio location objectKey url size contentType sha256 offloadStatus lastError offloadAttempts localCopy metadata createdAt updatedAt offloadedAt';

const sha256OfObject = async (key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of res.Body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
};
const headOf = (key: string) => s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key })).catch((e: Error) => e);

describe('offloading to the active bucket (R2 settings, custom endpoint → the S3 test server)', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  let admin: Record<string, string>;
  const prefix = `${publicUrl ? `${PUBLIC_PREFIX}/` : ''}offload-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ({ app, platform } = await startOffloadingApp({ OFFLOAD_PART_SIZE_MB: '8' }, { keyPrefix: prefix, publicUrl: publicUrl ?? '' }));
    admin = await app.adminHeaders();
  });
  afterAll(async () => {
    await app?.stop();
    await deletePrefix(target, prefix);
  });

  it('offloads a 3 MB image: the object is under the prefixed key with its size, type and checksum, and its URL serves the same bytes', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    const sha = await writeResult(app.config.resultsDir, rel, 3 * MB);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    expect(res.data?.finalizeCreative).toMatchObject({ offloadStatus: 'QUEUED', location: 'LOCAL', contentType: 'image/png', size: 3 * MB });
    expect(res.data?.finalizeCreative.url).toBe(`${app.config.publicUrl}/results/${rel}`);

    const done = await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED');
    expect(done).toMatchObject({ location: 'CLOUDFLARE_R2', objectKey: `${prefix}/${rel}`, sha256: sha, localCopy: true, lastError: null });
    const head = await headOf(`${prefix}/${rel}`);
    expect(head).toMatchObject({
      ContentLength: 3 * MB,
      ContentType: 'image/png',
      CacheControl: 'public, max-age=31536000, immutable',
      Metadata: { sha256: sha },
    });
    expect(await sha256OfObject(`${prefix}/${rel}`)).toBe(sha);
    if (publicUrl) {
      expect(done.url).toBe(`${publicUrl}/${prefix}/${rel}`);
      const served = Buffer.from(await (await fetch(done.url)).arrayBuffer());
      expect(createHash('sha256').update(served).digest('hex')).toBe(sha);
    }
  });

  it('streams a 200 MB video up in parts, each checked by the store: the object holds the same bytes', async () => {
    const rel = `videos/veo/${randomUUID()}.mp4`;
    const sha = await writeResult(app.config.resultsDir, rel, 200 * MB);
    const res = await finalize(app, platform, { path: rel, studio: 'VIDEO' });
    const done = await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED', 120_000);
    expect(done).toMatchObject({ sha256: sha, size: 200 * MB, contentType: 'video/mp4' });
    expect(await headOf(`${prefix}/${rel}`)).toMatchObject({ ContentLength: 200 * MB, ContentType: 'video/mp4' });
    expect(await sha256OfObject(`${prefix}/${rel}`)).toBe(sha);
  });

  it('returns the same creative when a path is finalized twice', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const first = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    const second = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    expect(second.data?.finalizeCreative.id).toBe(first.data?.finalizeCreative.id);
  });

  it('records one creative and one upload when the same path is finalized many times at once, among others', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const others = Array.from({ length: 5 }, () => `images/gemini/${randomUUID()}.png`);
    for (const other of others) await writeResult(app.config.resultsDir, other, 1000);
    // Concurrent calls share batches: duplicates of one path land in the same insert.
    const results = await Promise.all([...Array.from({ length: 10 }, () => rel), ...others].map((p) => finalize(app, platform, { path: p, studio: 'IMAGE' })));
    const ids = results.slice(0, 10).map((r) => r.data?.finalizeCreative.id);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(results.slice(10).map((r) => r.data?.finalizeCreative.id)).size).toBe(others.length);
    const jobs = await app.orm.em.getConnection().execute(`select count(*)::int as n from graphile_worker.jobs where key = ?`, [ids[0]]);
    expect((jobs[0] as { n: number }).n).toBeLessThanOrEqual(1); // queued once (or already done)
    const done = await waitForStatus(app, platform, ids[0]!, 'OFFLOADED');
    expect(done.offloadAttempts).toBe(1);
  });

  it('refuses paths that escape the results disk or are not files, naming the field', async () => {
    mkdirSync(path.join(app.config.resultsDir, 'images/links'), { recursive: true });
    symlinkSync('/etc/passwd', path.join(app.config.resultsDir, 'images/links/escape.png'));
    const cases: [string, RegExp][] = [
      ['../../etc/passwd', /must not contain empty, "\." or "\.\." segments/],
      ['/etc/passwd', /must be relative/],
      ['images/../../../etc/passwd', /segments/],
      ['images/nul\u0000.png', /control characters/],
      ['images\\windows.png', /must use \//],
      ['images/links/escape.png', /resolves outside the results folder/],
      ['images', /is not a regular file/],
      [`images/${randomUUID()}.png`, /no file at/],
      ['', /must not be empty/],
    ];
    for (const [p, message] of cases) {
      const res = await finalize(app, platform, { path: p, studio: 'IMAGE' });
      expect(res.errors?.[0]?.extensions, p).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
      expect(res.errors?.[0]?.message, p).toMatch(message);
    }
  });

  it('deletes the local copy only after the upload is verified, when that is on', async () => {
    await configureR2(app, { deleteLocalCopy: true });
    const rel = `images/gemini/${randomUUID()}.png`;
    const sha = await writeResult(app.config.resultsDir, rel, 2 * MB);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    const done = await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED');
    await expect.poll(async () => (await creative(app, platform, done.id)).localCopy).toBe(false);
    expect(existsSync(path.join(app.config.resultsDir, rel))).toBe(false);
    expect(await headOf(`${prefix}/${rel}`)).toMatchObject({ ContentLength: 2 * MB, Metadata: { sha256: sha } });
    await configureR2(app, { deleteLocalCopy: false });
  });

  it('keeps the local copy when delete-local is off', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED');
    expect(existsSync(path.join(app.config.resultsDir, rel))).toBe(true);
  });

  it('deletes an offloaded creative from the bucket and the disk, and a second delete is harmless', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    const done = await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED');
    const del = await app.graphql<{ deleteCreative: boolean }>('mutation($id: ID!) { deleteCreative(id: $id) }', { id: done.id }, platform);
    expect(del.data?.deleteCreative).toBe(true);
    expect((await headOf(`${prefix}/${rel}`)) as Error).toMatchObject({ name: 'NotFound' });
    expect(existsSync(path.join(app.config.resultsDir, rel))).toBe(false);
    const again = await app.graphql<{ deleteCreative: boolean }>('mutation($id: ID!) { deleteCreative(id: $id) }', { id: done.id }, platform);
    expect(again.data?.deleteCreative).toBe(false);
  });

  it('keeps serving offloaded creatives from the bucket after the provider is disabled, uninstalled or the default switched back', async () => {
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const done = await waitForStatus(app, platform, (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id, 'OFFLOADED');
    await app.graphql('mutation { setDefaultStorage(storage: LOCAL) { effective { key } } }', {}, admin);
    await configureR2(app, { enabled: false });
    await app.graphql('mutation { uninstallPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    const after = await creative(app, platform, done.id);
    expect(after).toMatchObject({ location: 'CLOUDFLARE_R2', url: done.url });

    // Meanwhile new results stay local, with no job queued.
    const localRel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, localRel, 1000);
    const local = (await finalize(app, platform, { path: localRel, studio: 'IMAGE' })).data!.finalizeCreative;
    expect(local).toMatchObject({ offloadStatus: 'LOCAL', location: 'LOCAL', url: `${app.config.publicUrl}/results/${localRel}` });
    const [jobs] = await app.orm.em.getConnection().execute(`select count(*)::int as n from graphile_worker.jobs where key = ?`, [local.id]);
    expect(jobs?.n).toBe(0);
    expect((await fetch(local.url)).status).toBe(200);

    await app.graphql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    await configureR2(app, { enabled: true });
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
  });

  it('serves a private bucket’s creatives through a signed redirect when there is no Public / CDN URL', async () => {
    await configureR2(app, { publicUrl: '' });
    const rel = `images/gemini/${randomUUID()} (draft).png`;
    const sha = await writeResult(app.config.resultsDir, rel, 5000);
    const done = await waitForStatus(app, platform, (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id, 'OFFLOADED');
    expect(done.url).toBe(`${app.config.publicUrl}/creatives/${done.id}/download`);
    const redirect = await fetch(`${app.url}/creatives/${done.id}/download`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location).toMatch(/X-Amz-Signature=/);
    const file = await fetch(location);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\(draft\)\.png"$/);
    expect(
      createHash('sha256')
        .update(Buffer.from(await file.arrayBuffer()))
        .digest('hex'),
    ).toBe(sha);
    await configureR2(app, { publicUrl: publicUrl ?? '' });
  });

  it('lists creatives newest first with cursors and filters, in a constant number of queries', async () => {
    const page = async (variables: Record<string, unknown>) =>
      (
        await app.graphql<{ creatives: { nodes: { id: string; url: string; location: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
          'query($first: Int!, $after: String, $location: StorageKey) { creatives(first: $first, after: $after, location: $location) { nodes { id url ' +
            'location } pageInfo { hasNextPage endCursor } } }',
          variables,
          platform,
        )
      ).data!.creatives;
    const everything = await app.graphql(
      `{ creatives(first: 500) { edges { cursor node { ${EVERY_CREATIVE_FIELD} } } nodes { id url } pageInfo { hasNextPage endCursor } } }`,
      {},
      platform,
    );
    expect(everything.errors).toBeUndefined();
    const all = await page({ first: 500 });
    expect(all.nodes.length).toBeGreaterThanOrEqual(6);
    const first = await page({ first: 2 });
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect([...first.nodes, ...second.nodes].map((n) => n.id)).toEqual(all.nodes.slice(0, 4).map((n) => n.id));
    expect((await page({ first: 500, location: 'LOCAL' })).nodes.every((n) => n.location === 'LOCAL')).toBe(true);

    const queries = () => app.logs.lines.filter((l) => l.includes('"orm":"[query]')).length;
    const before = queries();
    await page({ first: 500 });
    const listing = queries() - before;
    expect(listing).toBeLessThanOrEqual(3);
  });
});

describe('when the bucket is unreachable', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  const proxy = new TcpProxy(new URL(target.endpoint));
  const prefix = `outage-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await proxy.start();
    ({ app, platform } = await startOffloadingApp({ OFFLOAD_MAX_ATTEMPTS: '3' }, { customEndpoint: proxy.url, keyPrefix: prefix }));
  });
  afterAll(async () => {
    await app?.stop();
    await proxy.stop();
    await deletePrefix(target, prefix);
  });

  it('still finalizes, serves the result locally, and offloads it when the bucket returns, with no manual step', async () => {
    await proxy.stop();
    const rel = `images/gemini/${randomUUID()}.png`;
    const sha = await writeResult(app.config.resultsDir, rel, 100_000);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    expect(res.errors).toBeUndefined();
    const id = res.data!.finalizeCreative.id;
    await expect
      .poll(async () => (await creative(app, platform, id)).lastError, { timeout: 20_000 })
      .toMatch(/Could not reach http:\/\/127\.0\.0\.1:\d+ \(connection refused/);
    const waiting = await creative(app, platform, id);
    expect(waiting.offloadStatus).toMatch(/QUEUED|UPLOADING/);
    expect((await fetch(waiting.url)).status).toBe(200);

    await proxy.start();
    const done = await waitForStatus(app, platform, id, 'OFFLOADED', 60_000);
    expect(done).toMatchObject({ sha256: sha, lastError: null });
  });

  it('marks an offload FAILED after the last attempt, keeps it local, and retryOffload re-queues it', async () => {
    await proxy.stop();
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const id = (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id;
    const failed = await waitForStatus(app, platform, id, 'FAILED', 90_000);
    expect(failed).toMatchObject({ location: 'LOCAL', offloadAttempts: 3 });
    expect(failed.lastError).toMatch(/Could not reach/);
    expect((await fetch(failed.url)).status).toBe(200);

    await proxy.start();
    const retried = await app.graphql<{ retryOffload: CreativeView }>(
      'mutation($id: ID!) { retryOffload(id: $id) { offloadStatus } }',
      { id },
      await app.adminHeaders(),
    );
    expect(retried.data?.retryOffload.offloadStatus).toBe('QUEUED');
    await waitForStatus(app, platform, id, 'OFFLOADED', 30_000);
  });
});

describe('finalize with no bucket active', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ OFFLOAD_WORKER: 'true' });
  });
  afterAll(() => app?.stop());

  it('records the creative as LOCAL, serving from this server, with no job', async () => {
    const platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
    mkdirSync(path.join(app.config.resultsDir, 'videos/veo'), { recursive: true });
    writeFileSync(path.join(app.config.resultsDir, 'videos/veo/clip.mp4'), Buffer.alloc(4096, 1));
    const res = await finalize(app, platform, { path: 'videos/veo/clip.mp4', studio: 'VIDEO', metadata: { prompt: 'a cat' } });
    expect(res.data?.finalizeCreative).toMatchObject({
      offloadStatus: 'LOCAL',
      location: 'LOCAL',
      contentType: 'video/mp4',
      url: `${app.config.publicUrl}/results/videos/veo/clip.mp4`,
    });
    const download = await fetch(`${app.url}/creatives/${res.data!.finalizeCreative.id}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="?clip\.mp4"?$/);
    expect((await download.arrayBuffer()).byteLength).toBe(4096);
  });
});
