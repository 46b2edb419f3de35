import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/harness.js';

const PLUGINS = '{ plugins { key name pricing freeForExtendedLicense owned installed action checkoutUrl configPath } }';
type Plugin = { key: string; pricing: string; owned: boolean; installed: boolean; action: string; checkoutUrl: string | null; configPath: string };

describe('the plugin marketplace on a Regular License', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ PLUGIN_CHECKOUT_URL: 'https://market.example.com/checkout/{plugin}' });
  });
  afterAll(() => app?.stop());
  const plugins = async () => (await app.graphql<{ plugins: Plugin[] }>(PLUGINS, {}, await app.adminHeaders())).data!.plugins;
  const byKey = async (key: string) => (await plugins()).find((p) => p.key === key)!;

  it('lists R2, S3, Wasabi and Google Cloud Storage with their pricing, none installed', async () => {
    expect((await plugins()).map((p) => [p.key, p.pricing, p.installed])).toEqual([
      ['cloudflare-r2', 'PAID', false],
      ['amazon-s3', 'PAID', false],
      ['wasabi', 'FREE', false],
      ['google-cloud-storage', 'PAID', false],
    ]);
  });

  it('offers Install for the free plugin and Purchase, with the checkout URL, for paid ones', async () => {
    expect(await byKey('wasabi')).toMatchObject({ action: 'INSTALL' });
    expect(await byKey('cloudflare-r2')).toMatchObject({ action: 'PURCHASE', checkoutUrl: 'https://market.example.com/checkout/cloudflare-r2' });
  });

  it('refuses to install an unowned paid plugin with the seed’s message', async () => {
    const res = await app.graphql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, await app.adminHeaders());
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'PURCHASE_REQUIRED' } });
    expect(res.errors?.[0]?.message).toMatch(/^This plugin is free only for Extended License holders\. Purchase Cloudflare R2 Storage/);
  });

  it('installs a paid plugin once its purchase is recorded, then offers Uninstall', async () => {
    const bought = await app.graphql<{ recordPluginPurchase: Plugin }>(
      'mutation { recordPluginPurchase(key: CLOUDFLARE_R2) { key owned action } }',
      {},
      await app.adminHeaders(),
    );
    expect(bought.data?.recordPluginPurchase).toMatchObject({ owned: true, action: 'INSTALL' });
    const installed = await app.graphql<{ installPlugin: Plugin }>(
      'mutation { installPlugin(key: CLOUDFLARE_R2) { installed action configPath } }',
      {},
      await app.adminHeaders(),
    );
    expect(installed.data?.installPlugin).toEqual({ installed: true, action: 'UNINSTALL', configPath: '/general/plugins/cloudflare-r2' });
  });

  it('refuses provider settings until the plugin is installed', async () => {
    const res = await app.graphql(
      'mutation { saveProviderSettings(provider: AMAZON_S3, values: { bucket: "media" }) { configured } }',
      {},
      await app.adminHeaders(),
    );
    expect(res.errors?.[0]).toMatchObject({
      message: 'Install the Amazon S3 Storage plugin before configuring it',
      extensions: { code: 'PLUGIN_NOT_INSTALLED' },
    });
  });
});

describe('the plugin marketplace on an Extended License', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LICENSE_TYPE: 'extended' });
  });
  afterAll(() => app?.stop());

  it('installs plugins flagged free for Extended License holders without a purchase', async () => {
    const res = await app.graphql<{ installPlugin: Plugin }>(
      'mutation { installPlugin(key: CLOUDFLARE_R2) { installed owned } }',
      {},
      await app.adminHeaders(),
    );
    expect(res.data?.installPlugin).toEqual({ installed: true, owned: false });
  });
});
