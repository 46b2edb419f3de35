import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ProviderKey } from '@offload/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/harness.js';
import { startTestApp } from '../../test/harness.js';
import { finalize, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget } from '../../test/s3.js';
import { configureProvider, configureR2, r2OnTestServer, s3PresetOnTestServer } from '../../test/storage-fixtures.js';
import { differences, referenced, type Difference } from './orphans.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const prefix = `orphans-${randomUUID().slice(0, 8)}`;

let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;

/** Offloads one new result to the Default Storage; its object key. */
async function offloadOne(name: string): Promise<string> {
  const rel = `images/${name}-${randomUUID()}.png`;
  await writeResult(app.config.resultsDir, rel, 5000);
  const { id } = (await finalize(app, platform, { path: rel, studio: 'IMAGE' })).data!.finalizeCreative;
  return (await waitForStatus(app, platform, id, 'OFFLOADED')).objectKey!;
}

beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', LOG_LEVEL: 'warn' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
});
afterAll(async () => {
  await app?.stop();
  await deletePrefix(target, prefix);
});

describe('orphans in a bucket that two providers store into', () => {
  it('counts an object as an orphan only when no location of that bucket references it', async () => {
    // The R2 plugin, then an Amazon S3 preset on the same endpoint and bucket: two locations, one listing.
    await configureR2(app, r2OnTestServer(target.full, { enabled: true, keyPrefix: prefix }));
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
    const viaR2 = await offloadOne('r2');
    await configureProvider(app, 'AMAZON_S3', s3PresetOnTestServer(target, { keyPrefix: prefix, enabled: true }));
    await app.graphql('mutation { setDefaultStorage(storage: AMAZON_S3) { effective { key } } }', {}, admin);
    const viaS3 = await offloadOne('s3');
    const stray = `${prefix}/images/stray-${randomUUID()}.png`;
    await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: stray, Body: Buffer.alloc(100, 1) }));

    const scope = app.runtime.scope();
    const locations = await scope.locations.list();
    const r2 = locations.find((l) => l.provider === 'cloudflare-r2')!;
    expect(locations.find((l) => l.provider === 'amazon-s3')!.id).not.toBe(r2.id);
    const driver = app.runtime.drivers.for(r2.provider as ProviderKey, scope.locations.settingsOf(r2, 'read'));
    const found: Difference[] = [];
    for await (const difference of differences(scope.em, r2.id, driver, `${prefix}/`)) found.push(difference);

    expect(found.map((d) => [d.kind, d.key])).toEqual([['orphan', stray]]);
    expect(await referenced(scope.em, r2.id, viaS3)).toBe(true);
    expect(await referenced(scope.em, r2.id, viaR2)).toBe(true);
    expect(await referenced(scope.em, r2.id, stray)).toBe(false);
  });
});
