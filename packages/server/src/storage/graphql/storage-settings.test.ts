import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../../../test/harness.js';
import { configureR2, SAVE_SETTINGS, SETTINGS_FIELDS, type SettingsView } from '../../../test/storage-fixtures.js';
import { loadAppKeys } from '../../config/app-key.js';
import { SettingsCipher } from '../settings-cipher.js';
import { UNCACHED } from '../../db/shared-cache.js';
import { StorageSettingsService } from '../storage-settings.service.js';

const CANARY = 'canary-Secret-7f3a9c1e5b2d4680ABCDEF';
const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

let app: TestApp;
let admin: Record<string, string>;
beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended' });
  admin = await app.adminHeaders();
});
afterAll(async () => {
  // Secrets are write-only everywhere: nothing this file did may have logged the canary.
  expect(app.logs.text).not.toContain(CANARY);
  await app?.stop();
});

const save = (values: Record<string, unknown>) =>
  app.graphql<{ saveProviderSettings: SettingsView }>(SAVE_SETTINGS, { provider: 'CLOUDFLARE_R2', values }, admin);
const storage = async () =>
  (
    await app.graphql<{
      defaultStorage: { selected: { key: string }; effective: { key: string }; fallbackInEffect: boolean; fallbackReason: string | null };
      storageOptions: { key: string; label: string }[];
    }>('{ defaultStorage { selected { key } effective { key } fallbackInEffect fallbackReason } storageOptions { key label } }', {}, admin)
  ).data!;

describe('Cloudflare R2 settings', () => {
  it('derive the endpoint from the account id, with region auto', async () => {
    const saved = await configureR2(app, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: CANARY, accountId: ACCOUNT_ID, bucket: 'my-media' });
    expect(saved).toMatchObject({
      endpoint: `https://${ACCOUNT_ID}.r2.cloudflarestorage.com`,
      configured: true,
      missingFields: [],
      storedSecrets: ['secretAccessKey'],
    });
    expect(saved.values).not.toHaveProperty('secretAccessKey');
    expect(saved.values).not.toHaveProperty('region'); // R2 has none: always auto
  });

  it('never return the secret, and store it only encrypted', async () => {
    const read = await app.graphql(`{ providerSettings(provider: CLOUDFLARE_R2) { ${SETTINGS_FIELDS} } }`, {}, admin);
    expect(JSON.stringify(read)).not.toContain(CANARY);
    const dump = JSON.stringify(await app.orm.em.getConnection().execute('select * from setting'));
    expect(dump).not.toContain(CANARY);
    expect(dump).not.toContain('AKIDEXAMPLE');
  });

  it('keep the stored secret when it is left blank, and replace it when a new one is typed', async () => {
    const storedSecret = async () => {
      const [row] = await app.orm.em.getConnection().execute(`select value from setting where key = 'provider:cloudflare-r2'`);
      return (new SettingsCipher(loadAppKeys(app.config)).decrypt(row?.value, 'provider:cloudflare-r2') as { secretAccessKey: string }).secretAccessKey;
    };
    expect((await save({ secretAccessKey: '', bucket: 'other-bucket' })).data?.saveProviderSettings).toMatchObject({
      storedSecrets: ['secretAccessKey'],
      values: { bucket: 'other-bucket' },
    });
    expect(await storedSecret()).toBe(CANARY);
    await save({ accessKeyId: 'AKIDEXAMPLE' });
    expect(await storedSecret()).toBe(CANARY);
    await save({ secretAccessKey: `${CANARY}-new` });
    expect(await storedSecret()).toBe(`${CANARY}-new`);
  });

  it('refuse to enable without the minimum fields, naming the missing ones', async () => {
    await save({ accountId: '', customEndpoint: '', bucket: '' });
    const res = await save({ enabled: true });
    expect(res.errors?.[0]?.message).toBe('Cloudflare R2 cannot be enabled yet: fill in Account ID (or a Custom Endpoint) and Bucket');
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'accountId' });
  });

  it.each([
    [{ bucket: 'My_Bucket' }, 'bucket', 'Bucket may contain only lowercase letters, digits, dots and hyphens'],
    [{ bucket: '192.168.1.1' }, 'bucket', 'Bucket must not look like an IP address'],
    [{ publicUrl: 'javascript:alert(1)' }, 'publicUrl', 'Public / CDN URL must start with https:// (or http://)'],
    [{ customEndpoint: 'file:///etc/passwd' }, 'customEndpoint', 'Custom Endpoint must start with https:// (or http://)'],
    [{ publicUrl: 'https://user:pw@cdn.example.com' }, 'publicUrl', 'Public / CDN URL must not contain a user name or password'],
    [{ keyPrefix: 'media/../secrets' }, 'keyPrefix', 'Key Prefix must not contain "." or ".." folders'],
    [{ accountId: 'not-an-account' }, 'accountId', 'Account ID must be the 32-character hexadecimal id shown on your R2 overview page'],
    [{ accessKeyId: 'has spaces in it' }, 'accessKeyId', 'Access Key ID must be up to 128 visible characters, without spaces'],
  ])('refuse %j, naming %s and the problem', async (input, field, message) => {
    const res = await save(input);
    expect(res.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', field } });
  });

  it('normalise the key prefix and URLs', async () => {
    const res = await save({ keyPrefix: '/magicads//results/', publicUrl: 'https://pub-1234.r2.dev/' });
    expect(res.data?.saveProviderSettings.values).toMatchObject({ keyPrefix: 'magicads/results', publicUrl: 'https://pub-1234.r2.dev' });
  });

  it('refuse a field the provider does not have, and a value of the wrong kind, naming the field', async () => {
    expect((await save({ region: 'us-east-1' })).errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^values\.region is not a Cloudflare R2 setting; it has enabled, deleteLocalCopy, accessKeyId/),
      extensions: { code: 'BAD_USER_INPUT', field: 'region' },
    });
    expect((await save({ enabled: 'yes' })).errors?.[0]).toMatchObject({
      message: 'Enable Cloudflare R2 must be true or false',
      extensions: { code: 'BAD_USER_INPUT', field: 'enabled' },
    });
    expect((await save({ bucket: 42 })).errors?.[0]).toMatchObject({
      message: 'Bucket must be a string',
      extensions: { code: 'BAD_USER_INPUT', field: 'bucket' },
    });
  });
});

describe('Default Storage', () => {
  it('lists only the local server until a provider is installed, enabled and configured', async () => {
    await save({ enabled: false, accountId: ACCOUNT_ID, bucket: 'my-media' });
    expect((await storage()).storageOptions).toEqual([{ key: 'LOCAL', label: 'Local server (this machine)' }]);
    const refused = await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
    expect(refused.errors?.[0]?.message).toBe('Cloudflare R2 cannot be the Default Storage: it is disabled');
  });

  it('makes an enabled provider selectable and, once selected, effective', async () => {
    await save({ enabled: true });
    expect((await storage()).storageOptions.map((o) => o.key)).toEqual(['LOCAL', 'CLOUDFLARE_R2']);
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);
    expect((await storage()).defaultStorage).toEqual({
      selected: { key: 'CLOUDFLARE_R2' },
      effective: { key: 'CLOUDFLARE_R2' },
      fallbackInEffect: false,
      fallbackReason: null,
    });
    const providers = await app.graphql<{ storageProviders: { key: string; active: boolean; selectable: boolean }[] }>(
      '{ storageProviders { key active selectable } }',
      {},
      admin,
    );
    expect(providers.data?.storageProviders.find((p) => p.key === 'CLOUDFLARE_R2')).toEqual({ key: 'CLOUDFLARE_R2', active: true, selectable: true });
  });

  it('falls back to local, saying why, when the selected provider is disabled', async () => {
    await save({ enabled: false });
    expect((await storage()).defaultStorage).toMatchObject({
      selected: { key: 'CLOUDFLARE_R2' },
      effective: { key: 'LOCAL' },
      fallbackInEffect: true,
      fallbackReason: 'Cloudflare R2 is selected, but it is disabled: new results are stored on this server until that is fixed.',
    });
    await save({ enabled: true });
    expect((await storage()).defaultStorage.effective.key).toBe('CLOUDFLARE_R2');
  });

  it('falls back to local when the plugin is uninstalled, and a reinstall restores the configuration', async () => {
    await app.graphql('mutation { uninstallPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    expect((await storage()).defaultStorage.fallbackReason).toBe(
      'Cloudflare R2 is selected, but the Cloudflare R2 Storage plugin is not installed: new results are stored on this server until that is fixed.',
    );
    await app.graphql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    expect((await storage()).defaultStorage.effective.key).toBe('CLOUDFLARE_R2');
  });

  it('falls back to local when the settings can no longer be decrypted, and accepts the old key as a previous key', async () => {
    const em = app.orm.em.fork();
    const otherKey = { current: randomBytes(32), previous: [] };
    const lost = new StorageSettingsService(em, new SettingsCipher(otherKey), app.config.license, UNCACHED);
    expect(await lost.defaultStorage()).toMatchObject({ selected: 'cloudflare-r2', effective: 'local' });
    expect((await lost.defaultStorage()).fallbackReason).toMatch(/can no longer be decrypted with the current APP_KEY/);
    expect(await lost.options()).toEqual(['local']);

    const real = loadAppKeys(app.config).current;
    const rotated = new StorageSettingsService(
      app.orm.em.fork(),
      new SettingsCipher({ current: randomBytes(32), previous: [real] }),
      app.config.license,
      UNCACHED,
    );
    expect((await rotated.defaultStorage()).effective).toBe('cloudflare-r2');
  });

  it('switching back to local is always allowed', async () => {
    const res = await app.graphql<{ setDefaultStorage: { effective: { key: string } } }>(
      'mutation { setDefaultStorage(storage: LOCAL) { effective { key } } }',
      {},
      admin,
    );
    expect(res.data?.setDefaultStorage.effective.key).toBe('LOCAL');
  });
});
