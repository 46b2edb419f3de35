import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { launchBrowser, screenshot, signIn } from './browser.js';
import { asAdmin } from './platform.js';

const SCREENS = [
  ['overview', '/app/admin', 'Overview'],
  ['media', '/app/admin/media', 'Media'],
  ['plugins', '/app/admin/general/plugins', 'Plugins'],
  ['cloudflare-r2', '/app/admin/general/plugins/cloudflare-r2', 'Cloudflare R2 Storage'],
  ['amazon-s3', '/app/admin/general/plugins/amazon-s3', 'Amazon S3 Storage'],
  ['wasabi', '/app/admin/general/plugins/wasabi', 'Wasabi Storage'],
  ['google-cloud-storage', '/app/admin/general/plugins/google-cloud-storage', 'Google Cloud Storage'],
  ['general-settings', '/app/admin/general/settings', 'General Settings'],
  ['storage-locations', '/app/admin/general/locations', 'Storage locations'],
  ['tools', '/app/admin/tools', 'Tools'],
  ['api-tokens', '/app/admin/api-tokens', 'API tokens'],
] as const;

let server: ServerProcess;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess({ LICENSE_TYPE: 'extended' }), launchBrowser()]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, TEST_ADMIN);
  // The provider screens exist once their plugins are installed; complete R2 settings make a bucket location.
  for (const key of ['CLOUDFLARE_R2', 'AMAZON_S3', 'WASABI', 'GOOGLE_CLOUD_STORAGE'])
    await asAdmin(page, `mutation { installPlugin(key: ${key}) { installed } }`);
  await asAdmin(page, 'mutation($v: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $v) { configured } }', {
    v: { accessKeyId: 'AKEXAMPLE', secretAccessKey: 'example-secret', accountId: '0123456789abcdef0123456789abcdef', bucket: 'media' },
  });
  await context.close();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe.each([
  ['desktop', 1280, 800],
  ['phone', 390, 844],
])('every admin screen at %s width', (name, width, height) => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width, height } });
    await signIn(await context.newPage(), server.url, TEST_ADMIN);
  });
  afterAll(() => context?.close());

  it.each(SCREENS)('%s has no serious or critical accessibility violations and fits the width', async (screen, route, heading) => {
    const page = await context.newPage();
    await page.goto(`${server.url}${route}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(serious).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await screenshot(page, `${screen}-${name}`);
    await page.close();
  });
});
