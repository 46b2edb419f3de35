import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { loadAppKeys } from '../config/app-key.js';
import { Setting } from '../db/setting.entity.js';
import { emptySettings, placeOf } from '@offload/types';
import { UNCACHED } from '../db/shared-cache.js';
import { reencryptSettings } from './reencrypt.js';
import { sealedAs, StorageLocations } from './storage-locations.service.js';
import { SettingsCipher } from './settings-cipher.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

describe('re-encrypting settings after an APP_KEY rotation', () => {
  it('re-seals entries under the new key, keeps their content, and leaves unreadable ones alone', async () => {
    const oldKey = loadAppKeys(app.config).current;
    const old = new SettingsCipher({ current: oldKey, previous: [] });
    const em = app.orm.em.fork();
    em.create(Setting, { key: 'provider:wasabi', value: old.encrypt({ secretAccessKey: 's1' }, 'provider:wasabi'), updatedAt: new Date() });
    em.create(Setting, {
      key: 'provider:amazon-s3',
      value: new SettingsCipher({ current: randomBytes(32), previous: [] }).encrypt({ x: 1 }, 'provider:amazon-s3'),
      updatedAt: new Date(),
    });
    em.create(Setting, { key: 'default-storage', value: { provider: 'local' }, updatedAt: new Date() });
    await em.flush();
    // A location's credentials are sealed like settings and rotate with them.
    const wasabi = { ...emptySettings('wasabi'), accessKeyId: 'AK', secretAccessKey: 's2', region: 'eu-central-1', bucket: 'media-a' };
    await em.transactional((tx) => StorageLocations.record(tx, old, 'wasabi', wasabi));
    const entry = sealedAs(placeOf('wasabi', wasabi).identity);

    const newKey = randomBytes(32);
    const rotated = new SettingsCipher({ current: newKey, previous: [oldKey] });
    const report = await reencryptSettings(app.orm.em.fork(), rotated);
    expect(report).toEqual({ reencrypted: ['provider:wasabi', entry], alreadyCurrent: [], unreadable: ['provider:amazon-s3'] });

    const row = await app.orm.em.fork().findOneOrFail(Setting, { key: 'provider:wasabi' });
    const newOnly = new SettingsCipher({ current: newKey, previous: [] });
    expect(newOnly.decrypt(row.value, 'provider:wasabi')).toEqual({ secretAccessKey: 's1' });
    const [location] = (await new StorageLocations(app.orm.em.fork(), newOnly, UNCACHED).list()).filter((l) => l.provider === 'wasabi');
    expect(new StorageLocations(app.orm.em.fork(), newOnly, UNCACHED).settingsOf(location!)).toMatchObject({ secretAccessKey: 's2', bucket: 'media-a' });
    expect((await reencryptSettings(app.orm.em.fork(), rotated)).alreadyCurrent).toEqual(['provider:wasabi', entry]);
  });
});
