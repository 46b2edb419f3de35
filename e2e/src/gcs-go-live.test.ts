import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { skipBecause, startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { gcsAdmin, gcsTestTarget, NO_GCS_EMULATOR } from '@offload/server/testing/gcs';
import { writePng } from '@offload/server/testing/offload';
import { launchBrowser, screenshot, signIn } from './browser.js';
import { finalizeAndWait, platformToken } from './platform.js';

const target = await gcsTestTarget();
const prefix = `golive-gcs-${randomUUID().slice(0, 8)}`;
/** A line from the middle of the private key: it must never appear on a page. */
const KEY_LINE = target.full.private_key.split('\n')[4]!;
/** The first test's result, in the public bucket; the second test changes the bucket. */
let firstResult: { objectKey: string } | undefined;

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
});

const toast = (kind: 'success' | 'error') => page.getByTestId(`toast-${kind}`).last();
const field = (label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);
const SETTINGS = '/app/admin/general/plugins/google-cloud-storage';

describe('Google Cloud Storage go-live, in a browser', () => {
  it('installs the plugin, takes an uploaded key, tests and selects it; new results land in the bucket and render from its public URL', async (ctx) => {
    skipBecause(ctx, !target.publicBucket && 'needs a public bucket (GCS_TEST_PUBLIC_BUCKET on real GCS)');
    await page.getByRole('link', { name: 'Plugins' }).click();
    const card = page.getByRole('article', { name: 'Google Cloud Storage' });
    await card.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => toast('success').textContent()).toContain('Google Cloud Storage installed');
    await card.getByRole('link', { name: 'Configure' }).click();
    await page.getByRole('heading', { name: 'Google Cloud Storage' }).waitFor();
    await expect.poll(() => page.getByTestId('availability').textContent()).toMatch(/fill in Service account key and Bucket/);

    // A pasted key that is not JSON is named as you type, before anything is sent.
    await field('Service account key', '{ "type": "service_account", ');
    await expect.poll(() => page.getByText('Service account key is not valid JSON').count()).toBeGreaterThan(0);
    await screenshot(page, 'gcs-key-invalid');

    // The key file, uploaded as the admin downloaded it from Google Cloud.
    await page.getByLabel('Upload Service account key file').setInputFiles({
      name: 'offload-sa.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(target.full, null, 2)),
    });
    await expect.poll(() => page.getByText('Service account key is not valid JSON').count()).toBe(0);
    await field('Bucket', target.publicBucket!);
    await field('API Endpoint', target.endpoint);
    await expect.poll(() => page.getByText(`Endpoint in use: ${target.endpoint}`).count()).toBeGreaterThan(0);
    await field('Public / CDN URL', `${target.endpoint}/${target.publicBucket}`);
    await field('Key Prefix', prefix);
    await page.getByLabel('Enable Google Cloud Storage').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => toast('success').textContent()).toBe('Google Cloud Storage settings saved.×');

    // The key is not shown again; the form says one is stored.
    await page.reload();
    await page.getByRole('heading', { name: 'Google Cloud Storage' }).waitFor();
    expect(await page.getByLabel('Service account key', { exact: true }).inputValue()).toBe('');
    await page.getByText('A key is stored. Leave blank to keep it').waitFor();
    expect(await page.content()).not.toContain(KEY_LINE);

    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => toast('success').textContent(), { timeout: 20_000 }).toContain('Google Cloud Storage is ready');
    await screenshot(page, 'google-cloud-storage');

    await page.getByRole('link', { name: 'General Settings' }).click();
    // Exact, once the screen is there: the provider screen's Enable checkbox mentions "Default Storage" in its label too.
    await page.getByRole('heading', { name: 'General Settings' }).waitFor();
    await page.getByLabel('Default Storage', { exact: true }).selectOption({ label: 'Google Cloud Storage' });
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('effective-storage').textContent()).toBe('Google Cloud Storage');

    // The platform finalizes an image: it is in the bucket (seen behind the API's back) and renders from its public URL.
    const token = await platformToken(page);
    const rel = `images/gemini/${randomUUID()}.png`;
    writePng(path.join(server.dataDir, 'results'), rel, 64, 48);
    const creative = await finalizeAndWait(server.url, token, rel);
    expect(creative.objectKey).toBe(`${prefix}/${rel}`);
    firstResult = creative;
    if (target.emulated) {
      const stored = await gcsAdmin.objectInfo(target.publicBucket!, creative.objectKey!);
      expect(stored).toMatchObject({ contentType: 'image/png', cacheControl: 'public, max-age=31536000, immutable' });
      // The MD5 GCS recorded is of the bytes it holds: it refused anything else.
      expect(stored!.recorded.md5).toBe(stored!.actual.md5);
    }
    expect(creative.url).toBe(`${target.endpoint}/${target.publicBucket}/${prefix}/images/gemini/${rel.split('/')[2]}`);

    await page.getByRole('link', { name: 'Media' }).click();
    const shown = page.getByTestId('creative').filter({ hasText: creative.objectKey! });
    await expect.poll(() => shown.getByTestId('location').textContent()).toBe(`Google Cloud Storage · ${target.publicBucket}`);
    const image = shown.getByRole('img');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await image.getAttribute('src')).toBe(creative.url);
    await screenshot(page, 'gcs-media');
  });

  it('serves results in a private bucket through V4 signed links, which the bucket checks', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    await page.goto(`${server.url}${SETTINGS}`);
    await page.getByRole('heading', { name: 'Google Cloud Storage' }).waitFor();
    await field('Bucket', target.bucket);
    await field('Public / CDN URL', '');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => toast('success').textContent()).toContain('saved');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => toast('success').textContent(), { timeout: 20_000 }).toContain('Google Cloud Storage is ready');

    const token = await platformToken(page);
    const rel = `images/gemini/${randomUUID()}.png`;
    writePng(path.join(server.dataDir, 'results'), rel, 40, 30);
    const creative = await finalizeAndWait(server.url, token, rel);
    // No public URL: the result's URL is Offload's, which redirects to a link signed for this object.
    expect(creative.url).toBe(`${server.url}/creatives/${creative.id}/download`);
    const redirect = await fetch(creative.url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const signed = new URL(redirect.headers.get('location')!);
    expect(signed.origin + signed.pathname).toBe(`${target.endpoint}/${target.bucket}/${prefix}/images/gemini/${rel.split('/')[2]}`);
    expect(signed.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    // Anonymous reads of the private bucket are refused; the signed link is served.
    expect((await fetch(signed.origin + signed.pathname)).status).toBe(403);
    expect((await fetch(signed)).status).toBe(200);

    await page.getByRole('link', { name: 'Media' }).click();
    const shown = page.getByTestId('creative').filter({ hasText: creative.objectKey! });
    await expect.poll(() => shown.getByTestId('location').textContent()).toBe(`Google Cloud Storage · ${target.bucket}`);
    await expect.poll(() => shown.getByRole('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(40);
    // The first result stayed where it was written (now a retired location) and still renders from the public bucket.
    if (firstResult) {
      const first = page.getByTestId('creative').filter({ hasText: firstResult.objectKey });
      expect(await first.getByTestId('location').textContent()).toBe(`Google Cloud Storage · ${target.publicBucket} (retired)`);
      await expect.poll(() => first.getByRole('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    }
    await screenshot(page, 'gcs-media-private');
  });
});
