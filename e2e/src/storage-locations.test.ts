import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NO_PUBLIC_BUCKET, skipBecause, startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { writePng } from '@offload/server/testing/offload';
import { deletePrefix, PUBLIC_PREFIX, publicBucketUrl, s3TestTarget, secondBucket } from '@offload/server/testing/s3';
import { launchBrowser, screenshot, signIn } from './browser.js';
import { asAdmin, finalizeAndWait, platformToken } from './platform.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const publicA = await publicBucketUrl(targetA);
const publicB = await publicBucketUrl(targetB);
const prefix = `${PUBLIC_PREFIX}/locations-e2e-${randomUUID().slice(0, 8)}`;

let server: ServerProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess({ LICENSE_TYPE: 'extended' }), launchBrowser()]);
  page = await browser.newPage();
  await signIn(page, server.url, TEST_ADMIN);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
});

describe('storage locations, in a browser', () => {
  it('after the admin changes the bucket, old results still preview from the old one and the locations screen counts both', async (ctx) => {
    skipBecause(ctx, (!publicA || !publicB) && NO_PUBLIC_BUCKET);
    await asAdmin(page, 'mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }');
    await asAdmin(page, 'mutation($v: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $v) { configured } }', {
      v: {
        enabled: true,
        accessKeyId: targetA.full.accessKeyId,
        secretAccessKey: targetA.full.secretAccessKey,
        bucket: targetA.bucket,
        customEndpoint: targetA.endpoint,
        usePathStyleEndpoint: true,
        publicUrl: publicA,
        keyPrefix: prefix,
      },
    });
    await asAdmin(page, 'mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
    const token = await platformToken(page);
    const resultsDir = path.join(server.dataDir, 'results');
    const oldRel = `images/${randomUUID()}.png`;
    writePng(resultsDir, oldRel, 40, 30);
    const old = await finalizeAndWait(server.url, token, oldRel);
    expect(old.url).toBe(`${publicA}/${old.objectKey}`);

    // The bucket change, as the admin makes it: the plugin's settings screen.
    await page.goto(`${server.url}/app/admin/general/plugins/cloudflare-r2`);
    await page.getByRole('heading', { name: 'Cloudflare R2 Storage' }).waitFor();
    await page.getByLabel('Bucket', { exact: true }).fill(targetB.bucket);
    await page.getByLabel('Public / CDN URL', { exact: true }).fill(publicB!);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent()).toContain('saved');

    const newRel = `images/${randomUUID()}.png`;
    writePng(resultsDir, newRel, 24, 24);
    const fresh = await finalizeAndWait(server.url, token, newRel);
    expect(fresh.url).toBe(`${publicB}/${fresh.objectKey}`);

    // The media view: both preview, each from its own bucket, the old one's location marked retired.
    await page.getByRole('link', { name: 'Media' }).click();
    const oldCard = page.getByTestId('creative').filter({ hasText: old.objectKey });
    const freshCard = page.getByTestId('creative').filter({ hasText: fresh.objectKey });
    await expect.poll(() => oldCard.getByTestId('location').textContent()).toBe(`Cloudflare R2 · ${targetA.bucket} (retired)`);
    expect(await freshCard.getByTestId('location').textContent()).toBe(`Cloudflare R2 · ${targetB.bucket}`);
    await expect.poll(() => oldCard.getByRole('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(40);
    expect(await oldCard.getByRole('img').getAttribute('src')).toBe(old.url);
    await expect.poll(() => freshCard.getByRole('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(24);
    await screenshot(page, 'media-after-bucket-change');

    // The locations screen: the results disk, the retired bucket and the active one, with their counts.
    await page.getByRole('link', { name: 'Storage locations' }).click();
    const rows = page.getByTestId('storage-location');
    await expect.poll(() => rows.count()).toBe(3);
    const row = (label: string) => rows.filter({ has: page.getByText(label, { exact: true }) });
    const rowA = row(`Cloudflare R2 · ${targetA.bucket}`);
    const rowB = row(`Cloudflare R2 · ${targetB.bucket}`);
    expect(await rowA.getByTestId('location-results').textContent()).toBe('1');
    expect(await rowA.textContent()).toContain('Retired');
    expect(await rowB.getByTestId('location-results').textContent()).toBe('1');
    expect(await rowB.textContent()).toContain('Active');
    expect(await row('Local server (this machine)').textContent()).toContain('Fallback');
    // Holding a result, the retired bucket offers no Forget.
    expect(await rowA.getByRole('button', { name: /^Forget/ }).count()).toBe(0);

    // Its own credentials still reach it.
    await rowA.getByRole('button', { name: `Test connection to Cloudflare R2 · ${targetA.bucket}` }).click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent(), { timeout: 20_000 }).toContain('ready');
    await screenshot(page, 'storage-locations');

    // After a key rotation the admin enters the retired bucket's new key pair; it keeps serving with it.
    await rowA.getByRole('button', { name: `Replace the credentials of Cloudflare R2 · ${targetA.bucket}` }).click();
    await page.getByLabel('Access Key ID', { exact: true }).fill(targetA.full.accessKeyId);
    await page.getByLabel('Secret Access Key', { exact: true }).fill(targetA.full.secretAccessKey);
    await page.getByRole('button', { name: 'Save credentials' }).click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent()).toContain(`Cloudflare R2 · ${targetA.bucket} uses the new credentials.`);
    expect(await page.content()).not.toContain(targetA.full.secretAccessKey);
    await rowA.getByRole('button', { name: `Test connection to Cloudflare R2 · ${targetA.bucket}` }).click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent(), { timeout: 20_000 }).toContain('ready');

    // The overview says the same at a glance: both buckets with their result, and this day's two offloads.
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect
      .poll(() => page.getByTestId('overview-location').allTextContents())
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining(`Cloudflare R2 · ${targetA.bucket} (retired)1`),
          expect.stringContaining(`Cloudflare R2 · ${targetB.bucket}1`),
        ]),
      );
    expect(await page.getByTestId('overview-effective').textContent()).toBe('Cloudflare R2');
    expect(await page.getByTestId('queue-failed').textContent()).toBe('0');
    expect(await page.getByTestId('throughput-summary').textContent()).toMatch(/^2 results \(.+\) offloaded in the last 24 hours/);
    await screenshot(page, 'overview-after-bucket-change');
  });
});
