import { createHash, randomUUID } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_PUBLIC_BUCKET, skipBecause } from '../../test/skip.js';
import type { TestApp } from '../../test/harness.js';
import { creative, finalize, startOffloadingApp, waitForStatus, writeResult, type CreativeView } from '../../test/offload-fixtures.js';
import { newRgwKey } from '../../test/rgw-keys.js';
import { deletePrefix, independentS3Client, PUBLIC_PREFIX, publicBucketUrl, s3TestTarget, secondBucket, type S3TestTarget } from '../../test/s3.js';
import { configureR2 } from '../../test/storage-fixtures.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const publicA = await publicBucketUrl(targetA);
const publicB = await publicBucketUrl(targetB);
const s3 = independentS3Client(targetA);

const LOCATION_FIELDS = 'id provider label bucket endpoint publicUrl current active settingsError usage { results bytes lastWrittenAt }';
interface LocationView {
  id: string;
  provider: string;
  label: string;
  bucket: string | null;
  endpoint: string | null;
  publicUrl: string | null;
  current: boolean;
  active: boolean;
  settingsError: string | null;
  usage: { results: number; bytes: number; lastWrittenAt: string | null };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const keysIn = async (target: S3TestTarget, prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/` }))).Contents ?? []).map((o) => o.Key!).sort();
const exists = (target: S3TestTarget, key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key })).then(
    () => true,
    (error: Error) => (error.name === 'NotFound' ? false : Promise.reject(error)),
  );

/** Fetched anonymously, as a browser would: the bytes' SHA-256, or the HTTP status when it failed. */
async function served(url: string): Promise<string> {
  const res = await fetch(url);
  return res.ok ? sha256(Buffer.from(await res.arrayBuffer())) : `HTTP ${res.status}`;
}

describe('storage locations: results keep the place they were stored', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  let admin: Record<string, string>;
  const prefix = `${PUBLIC_PREFIX}/locations-${randomUUID().slice(0, 8)}`;

  const locations = async () => {
    const res = await app.graphql<{ storageLocations: LocationView[] }>(`{ storageLocations { ${LOCATION_FIELDS} } }`, {}, admin);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.storageLocations;
  };
  const locationOf = async (id: string) =>
    (
      await app.graphql<{ creative: { storageLocation: LocationView } }>(
        `query($id: ID!) { creative(id: $id) { storageLocation { ${LOCATION_FIELDS} } } }`,
        { id },
        platform,
      )
    ).data!.creative.storageLocation;
  /** Finalizes a result of `size` bytes and waits until it is offloaded; returns it with its content's hash. */
  const offloaded = async (size = 64 * 1024): Promise<CreativeView & { bytes: string }> => {
    const rel = `images/${randomUUID()}.png`;
    const bytes = await writeResult(app.config.resultsDir, rel, size);
    const res = await finalize(app, platform, { path: rel, studio: 'IMAGE' });
    return { ...(await waitForStatus(app, platform, res.data!.finalizeCreative.id, 'OFFLOADED')), bytes };
  };
  /** Where /creatives/:id/download sends the caller, and what is served there. */
  const download = async (id: string) => {
    const redirect = await fetch(`${app.url}/creatives/${id}/download`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const signed = redirect.headers.get('location')!;
    return { signed, bytes: await served(signed) };
  };

  beforeEach((ctx) => skipBecause(ctx, (!publicA || !publicB) && NO_PUBLIC_BUCKET));
  beforeAll(async () => {
    ({ app, platform } = await startOffloadingApp({}, { keyPrefix: prefix, publicUrl: publicA ?? '' }));
    admin = await app.adminHeaders();
  });
  afterAll(async () => {
    await app?.stop();
    await deletePrefix(targetA, prefix);
    await deletePrefix(targetB, prefix);
  });

  it('after a bucket change, new results go to the new bucket and earlier ones keep serving, signing and deleting through their own', async () => {
    const [a1, a2] = [await offloaded(), await offloaded()];
    const [localLocation, locationA] = await locations();
    expect(localLocation).toMatchObject({ provider: 'LOCAL', current: true, active: false });
    expect(locationA).toMatchObject({ provider: 'CLOUDFLARE_R2', bucket: targetA.bucket, publicUrl: publicA, current: true, active: true });
    expect(locationA!.usage.results).toBe(2);

    await configureR2(app, { bucket: targetB.bucket, publicUrl: publicB });
    const b1 = await offloaded();
    expect(await locationOf(b1.id)).toMatchObject({ bucket: targetB.bucket, current: true, active: true });
    expect(await exists(targetB, b1.objectKey!)).toBe(true);
    expect(await exists(targetA, b1.objectKey!)).toBe(false);

    for (const a of [a1!, a2!]) {
      const now = await creative(app, platform, a.id);
      expect(now).toMatchObject({ location: 'CLOUDFLARE_R2', objectKey: a.objectKey, url: `${publicA}/${a.objectKey}` });
      expect(await locationOf(a.id)).toMatchObject({ id: locationA!.id, bucket: targetA.bucket, current: false, active: false });
      expect(await served(now.url)).toBe(a.bytes);
      const { signed, bytes } = await download(a.id);
      expect(new URL(signed).pathname).toBe(`/${targetA.bucket}/${a.objectKey}`);
      expect(bytes).toBe(a.bytes);
    }
    expect(await served(b1.url)).toBe(b1.bytes);

    const del = await app.graphql<{ deleteCreative: boolean }>('mutation($id: ID!) { deleteCreative(id: $id) }', { id: a1!.id }, platform);
    expect(del.data?.deleteCreative).toBe(true);
    expect(await keysIn(targetA, prefix)).toEqual([a2!.objectKey]);
    expect(await keysIn(targetB, prefix)).toEqual([b1.objectKey]);

    const all = await locations();
    expect(all.map((l) => [l.bucket, l.current, l.active, l.usage.results])).toEqual([
      [null, true, false, 0],
      [targetA.bucket, false, false, 1],
      [targetB.bucket, true, true, 1],
    ]);
    const inA = await app.graphql<{ creatives: { nodes: { id: string }[] } }>(
      'query($id: ID!) { creatives(first: 10, locationId: $id) { nodes { id } } }',
      { id: locationA!.id },
      platform,
    );
    expect(inA.data?.creatives.nodes).toEqual([{ id: a2!.id }]);

    // Retired, it can still be tested with its own credentials; holding a result, it cannot be forgotten.
    const test = await app.graphql<{ testStorageLocation: { ok: boolean; code: string | null } }>(
      'mutation($id: ID!) { testStorageLocation(id: $id) { ok code } }',
      { id: locationA!.id },
      admin,
    );
    expect(test.data?.testStorageLocation).toEqual({ ok: true, code: null });
    const forget = await app.graphql('mutation($id: ID!) { forgetStorageLocation(id: $id) }', { id: locationA!.id }, admin);
    expect(forget.errors?.[0]).toMatchObject({ extensions: { code: 'LOCATION_IN_USE' } });
    expect(forget.errors?.[0]?.message).toMatch(/still holds results/);
  });

  it('keeps every location’s count and bytes equal to what the results table holds, before and after the worker folds the changes', async () => {
    const em = app.orm.em.fork();
    const truth = async () =>
      (
        (await em.execute(`select l.id, count(c.id)::int as results, coalesce(sum(c.size), 0)::bigint as bytes from storage_location l
           left join creative c on c.location_id = l.id group by l.id order by l.id`)) as { id: number; results: number; bytes: string }[]
      ).map((r) => ({ results: r.results, bytes: Number(r.bytes) }));
    const shown = async () => (await locations()).map((l) => ({ results: l.usage.results, bytes: l.usage.bytes }));
    expect(await shown()).toEqual(await truth());
    await app.runtime.scope().locations.foldUsage();
    expect(await shown()).toEqual(await truth());
    expect(await em.execute('select count(*)::int as n from storage_location_usage')).toEqual([{ n: 0 }]);
  });

  it('a new Public / CDN URL for the same bucket moves every URL of that location, and a retired location’s URL can be changed', async () => {
    const before = await locations();
    const b = await offloaded();
    await configureR2(app, { publicUrl: 'https://cdn.example.test/media' });
    expect((await locations()).map((l) => l.id)).toEqual(before.map((l) => l.id));
    expect((await creative(app, platform, b.id)).url).toBe(`https://cdn.example.test/media/${b.objectKey}`);

    const retired = before.find((l) => l.bucket === targetA.bucket)!;
    const [inA] = (
      await app.graphql<{ creatives: { nodes: CreativeView[] } }>(
        'query($id: ID!) { creatives(first: 1, locationId: $id) { nodes { id objectKey url } } }',
        { id: retired.id },
        platform,
      )
    ).data!.creatives.nodes;
    const update = `mutation($id: ID!, $url: String) { updateStorageLocation(id: $id, publicUrl: $url) { publicUrl } }`;
    expect((await app.graphql(update, { id: retired.id, url: 'https://old-cdn.example.test/' }, admin)).data).toEqual({
      updateStorageLocation: { publicUrl: 'https://old-cdn.example.test' },
    });
    expect((await creative(app, platform, inA!.id)).url).toBe(`https://old-cdn.example.test/${inA!.objectKey}`);

    const bad = await app.graphql(update, { id: retired.id, url: 'ftp://nope' }, admin);
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'publicUrl' } });
    const current = before.find((l) => l.bucket === targetB.bucket)!;
    const refused = await app.graphql(update, { id: current.id, url: 'https://x.example.test' }, admin);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'LOCATION_IN_USE' } });
    expect(refused.errors?.[0]?.message).toMatch(/Cloudflare R2 settings/);

    // A retired location's credentials are its own: replaced with a wrong secret, its test fails; restored, it passes.
    const credentials = `mutation($id: ID!, $values: JSONObject) { updateStorageLocation(id: $id, values: $values) { settingsError } }`;
    const testLocation = async () =>
      (
        await app.graphql<{ testStorageLocation: { ok: boolean; code: string | null } }>(
          'mutation($id: ID!) { testStorageLocation(id: $id) { ok code } }',
          { id: retired.id },
          admin,
        )
      ).data!.testStorageLocation;
    await app.graphql(credentials, { id: retired.id, values: { secretAccessKey: 'not-the-secret-0000000000000000000000000' } }, admin);
    expect(await testLocation()).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    await app.graphql(credentials, { id: retired.id, values: { secretAccessKey: targetA.full.secretAccessKey } }, admin);
    expect(await testLocation()).toEqual({ ok: true, code: null });
    const notCredential = await app.graphql(credentials, { id: retired.id, values: { bucket: 'elsewhere' } }, admin);
    expect(notCredential.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'bucket' } });
  });
});

describe('storage locations: a key rotation', () => {
  it('rotating the key pair of the same bucket keeps every result serving, signing and deleting, with the old key revoked', async (ctx) => {
    skipBecause(ctx, !process.env.CEPH_CONF && 'making and revoking keys needs the project’s Ceph RGW (CEPH_CONF, set by pnpm test)');
    const oldKey = (await newRgwKey())!;
    const newKey = (await newRgwKey())!;
    const prefix = `rotation-${randomUUID().slice(0, 8)}`;
    const { app, platform } = await startOffloadingApp({}, { keyPrefix: prefix, accessKeyId: oldKey.accessKeyId, secretAccessKey: oldKey.secretAccessKey });
    try {
      const admin = await app.adminHeaders();
      const rel = `images/${randomUUID()}.png`;
      const bytes = await writeResult(app.config.resultsDir, rel, 1024 * 1024);
      const first = await waitForStatus(app, platform, (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative.id, 'OFFLOADED');
      const before = (await app.graphql<{ storageLocations: { id: string }[] }>('{ storageLocations { id } }', {}, admin)).data!.storageLocations;

      await configureR2(app, { accessKeyId: newKey.accessKeyId, secretAccessKey: newKey.secretAccessKey });
      await oldKey.revoke();
      // The server has forgotten the old key: the same request it accepted before is refused now.
      const old = independentS3Client(targetA, oldKey);
      await expect
        .poll(
          () =>
            old.send(new ListObjectsV2Command({ Bucket: targetA.bucket, Prefix: `${prefix}/` })).then(
              () => 'accepted',
              (e: Error) => e.name,
            ),
          { timeout: 10_000 },
        )
        .toBe('InvalidAccessKeyId');

      const after = (await app.graphql<{ storageLocations: { id: string }[] }>('{ storageLocations { id } }', {}, admin)).data!.storageLocations;
      expect(after).toEqual(before);
      const redirect = await fetch(`${app.url}/creatives/${first.id}/download`, { redirect: 'manual' });
      expect(await served(redirect.headers.get('location')!)).toBe(bytes);

      const rel2 = `images/${randomUUID()}.png`;
      await writeResult(app.config.resultsDir, rel2, 1024);
      const second = await waitForStatus(
        app,
        platform,
        (await finalize(app, platform, { path: rel2, studio: 'IMAGE' })).data!.finalizeCreative.id,
        'OFFLOADED',
      );
      expect(second.objectKey).toBe(`${prefix}/${rel2}`);

      expect((await app.graphql('mutation($id: ID!) { deleteCreative(id: $id) }', { id: first.id }, platform)).data).toEqual({ deleteCreative: true });
      expect(await keysIn(targetA, prefix)).toEqual([second.objectKey]);
      expect(app.logs.text).not.toContain(newKey.secretAccessKey);
      expect(app.logs.text).not.toContain(oldKey.secretAccessKey);
    } finally {
      await app.stop();
      await deletePrefix(targetA, prefix);
      await newKey.revoke();
    }
  });
});
