import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { skipBecause, NO_WRITER_KEY, startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { writePng } from '@offload/server/testing/offload';
import { deletePrefix, independentS3Client, PUBLIC_PREFIX, publicBucketUrl, s3TestTarget } from '@offload/server/testing/s3';
import { launchBrowser, screenshot, signIn } from './browser.js';
import { finalizeAndWait, platformToken } from './platform.js';

const target = s3TestTarget();
const publicUrl = await publicBucketUrl(target);
const prefix = `${publicUrl ? `${PUBLIC_PREFIX}/` : ''}golive-${randomUUID().slice(0, 8)}`;
const privatePrefix = `golive-private-${randomUUID().slice(0, 8)}`;

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
  await deletePrefix(target, prefix);
  await deletePrefix(target, privatePrefix);
});

const toast = (kind: 'success' | 'error') => page.getByTestId(`toast-${kind}`).last();
async function field(label: string, value: string) {
  await page.getByLabel(label, { exact: true }).fill(value);
}

describe('the go-live checklist, in a browser', () => {
  it('installs R2, configures, tests and selects it; new results land in the bucket', async () => {
    // 1. Install the plugin.
    await page.getByRole('link', { name: 'Plugins' }).click();
    const card = page.getByRole('article', { name: 'Cloudflare R2 Storage' });
    await card.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => toast('success').textContent()).toContain('Cloudflare R2 Storage installed');
    await screenshot(page, 'plugins');
    await card.getByRole('link', { name: 'Configure' }).click();
    await page.getByRole('heading', { name: 'Cloudflare R2 Storage' }).waitFor();

    // Not selectable yet, and the screen says what is missing.
    await expect
      .poll(() => page.getByTestId('availability').textContent())
      .toMatch(/fill in Access Key ID, Secret Access Key, Account ID \(or a Custom Endpoint\) and Bucket/);

    // 2. Credentials and the Public / CDN URL; the derived endpoint shows as you type.
    await field('Account ID', '0123456789abcdef0123456789abcdef');
    await expect.poll(() => page.getByText('Endpoint in use: https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com').count()).toBeGreaterThan(0);
    await field('Account ID', '');
    await field('Access Key ID', target.full.accessKeyId);
    await field('Secret Access Key', target.full.secretAccessKey);
    await field('Bucket', target.bucket);
    await field('Custom Endpoint', target.endpoint);
    await field('Public / CDN URL', publicUrl ?? '');
    await field('Key Prefix', prefix);
    // 3. Enable, 4. Save.
    await page.getByLabel('Enable Cloudflare R2').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => toast('success').textContent()).toBe('Cloudflare R2 settings saved.×');

    // The secret is not shown again, and the form says one is stored.
    await page.reload();
    await page.getByRole('heading', { name: 'Cloudflare R2 Storage' }).waitFor();
    expect(await page.getByLabel('Secret Access Key', { exact: true }).inputValue()).toBe('');
    await page.getByText('A secret is stored. Leave blank to keep it').waitFor();
    expect(await page.content()).not.toContain(target.full.secretAccessKey);

    // 5. Test connection: green, with the stored secret.
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => toast('success').textContent(), { timeout: 20_000 }).toContain('Cloudflare R2 is ready');
    await screenshot(page, 'cloudflare-r2');

    // 6. Default Storage → Cloudflare R2.
    await page.getByRole('link', { name: 'General Settings' }).click();
    // Exact, once the screen is there: the provider screen's Enable checkbox mentions "Default Storage" in its label too.
    await page.getByRole('heading', { name: 'General Settings' }).waitFor();
    await page.getByLabel('Default Storage', { exact: true }).selectOption({ label: 'Cloudflare R2' });
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('effective-storage').textContent()).toBe('Cloudflare R2');
    await screenshot(page, 'general-settings');

    // 7. The platform finalizes a new image: it lands in the bucket and renders from its URL.
    const token = await platformToken(page);
    const resultsDir = path.join(server.dataDir, 'results');
    const rel = `images/gemini/${randomUUID()}.png`;
    writePng(resultsDir, rel, 64, 48);
    const creative = await finalizeAndWait(server.url, token, rel);
    expect(creative.objectKey).toBe(`${prefix}/${rel}`);
    const head = await independentS3Client(target).send(new HeadObjectCommand({ Bucket: target.bucket, Key: creative.objectKey }));
    expect(head.ContentType).toBe('image/png');

    // The media view shows it in R2, with its URL, and the image renders from that URL.
    await page.getByRole('link', { name: 'Media' }).click();
    const shown = page.getByTestId('creative').filter({ hasText: creative.objectKey });
    await expect.poll(() => shown.getByTestId('location').textContent()).toBe(`Cloudflare R2 · ${target.bucket}`);
    expect(await shown.getByTestId('status').textContent()).toBe('offloaded');
    expect(await shown.getByTestId('url').getAttribute('href')).toBe(creative.url);
    const image = shown.getByRole('img');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await image.getAttribute('src')).toBe(creative.url);
    await screenshot(page, 'media');

    // 8. Delete local copy on: the next result's local file goes once it is verified.
    await page.goto(`${server.url}/app/admin/general/plugins/cloudflare-r2`);
    await page.getByLabel('Delete local copy after upload').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => toast('success').textContent()).toContain('saved');
    const rel2 = `images/gemini/${randomUUID()}.png`;
    writePng(resultsDir, rel2, 32, 32);
    const second = await finalizeAndWait(server.url, token, rel2);
    await expect.poll(() => existsSync(path.join(resultsDir, rel2))).toBe(false);
    await page.getByRole('link', { name: 'Media' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    const stillRenders = page.getByTestId('creative').filter({ hasText: second.objectKey }).getByRole('img');
    await expect.poll(() => stillRenders.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
  });

  it('gives the red "could not be read back" toast for a write-only key', async (ctx) => {
    skipBecause(ctx, !target.writer && NO_WRITER_KEY);
    if (!target.writer) throw new Error('unreachable: skipped without a write-only key');
    await page.goto(`${server.url}/app/admin/general/plugins/cloudflare-r2`);
    await page.getByRole('heading', { name: 'Cloudflare R2 Storage' }).waitFor();
    await field('Access Key ID', target.writer.accessKeyId);
    await field('Secret Access Key', target.writer.secretAccessKey);
    // Outside the publicly readable prefix, where the bucket policy would let anyone read.
    await field('Key Prefix', privatePrefix);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => toast('error').textContent(), { timeout: 20_000 }).toContain('Upload succeeded but the object could not be read back');
    await screenshot(page, 'cloudflare-r2-read-back');
  });

  it('drops R2 from the Default Storage list when disabled, and says the fallback is in effect', async () => {
    await page.goto(`${server.url}/app/admin/general/plugins/cloudflare-r2`);
    await page.getByRole('heading', { name: 'Cloudflare R2 Storage' }).waitFor();
    await page.getByLabel('Enable Cloudflare R2').uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => toast('success').textContent()).toContain('saved');
    await page.getByRole('link', { name: 'General Settings' }).click();
    await expect.poll(() => page.getByTestId('fallback-banner').textContent()).toContain('Cloudflare R2 is selected, but it is disabled');
    expect(await page.getByLabel('Default Storage', { exact: true }).locator('option').allTextContents()).toEqual(['Local server (this machine)']);
  });
});
