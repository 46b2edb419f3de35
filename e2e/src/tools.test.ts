import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { writePng } from '@offload/server/testing/offload';
import { deletePrefix, independentS3Client, s3TestTarget, secondBucket, type S3TestTarget } from '@offload/server/testing/s3';
import { launchBrowser, screenshot, signIn } from './browser.js';
import { asAdmin, finalizeAndWait, platformToken } from './platform.js';

const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const prefix = `tools-e2e-${randomUUID().slice(0, 8)}`;
const RESULTS = 150;

let server: ServerProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // One offload worker: the job moves one result at a time, slowly enough to watch and pause.
  [server, browser] = await Promise.all([startServerProcess({ LICENSE_TYPE: 'extended', OFFLOAD_CONCURRENCY: '1' }), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, server.url, TEST_ADMIN);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
});

const r2Settings = (target: S3TestTarget) => ({
  enabled: true,
  accessKeyId: target.full.accessKeyId,
  secretAccessKey: target.full.secretAccessKey,
  bucket: target.bucket,
  customEndpoint: target.endpoint,
  usePathStyleEndpoint: true,
  keyPrefix: prefix,
});

async function useBucket(target: S3TestTarget) {
  await asAdmin(page, 'mutation($v: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $v) { configured } }', { v: r2Settings(target) });
}

/** Object keys under the test's prefix, read with a plain SDK client. */
async function keysIn(target: S3TestTarget): Promise<string[]> {
  const s3 = independentS3Client(target);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

type Job = { id: string; state: string; doneItems: number; skippedItems: number; failedItems: number };
const jobs = async () => (await asAdmin<{ bulkJobs: Job[] }>(page, '{ bulkJobs { id state doneItems skippedItems failedItems } }')).bulkJobs;

describe('the Tools screen, in a browser', () => {
  it('moves every result from bucket A to bucket B, with a dry run, live progress, pause and resume', { timeout: 240_000 }, async () => {
    // 150 results offloaded to bucket A while it is R2's bucket.
    await asAdmin(page, 'mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }');
    await useBucket(targetA);
    await asAdmin(page, 'mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
    const token = await platformToken(page);
    const resultsDir = path.join(server.dataDir, 'results');
    const rels = Array.from({ length: RESULTS }, (_, i) => `images/tools/${String(i).padStart(3, '0')}-${randomUUID()}.png`);
    for (const rel of rels) writePng(resultsDir, rel, 64, 48);
    const offloaded = [];
    for (let i = 0; i < rels.length; i += 25)
      offloaded.push(...(await Promise.all(rels.slice(i, i + 25).map((rel) => finalizeAndWait(server.url, token, rel)))));
    expect(await keysIn(targetA)).toHaveLength(RESULTS);
    // The job's first result has lost its object in A (deleted behind Offload's back): it fails, and the rest go on.
    const lost = offloaded.reduce((a, b) => (a.id < b.id ? a : b)); // the job takes results in id order (uuids compare as their hex)
    await independentS3Client(targetA).send(new DeleteObjectCommand({ Bucket: targetA.bucket, Key: lost.objectKey }));
    const lostPath = lost.objectKey.slice(prefix.length + 1);

    // The admin changes R2's bucket to B: A is retired, and keeps its 150 results.
    await useBucket(targetB);
    const { storageLocations } = await asAdmin<{ storageLocations: { id: string; bucket: string | null; current: boolean }[] }>(
      page,
      '{ storageLocations { id bucket current } }',
    );
    const locationA = storageLocations.find((l) => l.bucket === targetA.bucket && !l.current)!;
    const locationB = storageLocations.find((l) => l.bucket === targetB.bucket && l.current)!;

    await page.getByRole('link', { name: 'Tools', exact: true }).click();
    await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
    await page.getByLabel('From', { exact: true }).selectOption(locationA.id);
    await page.getByLabel('To', { exact: true }).selectOption(locationB.id);
    await page.getByLabel('Delete the source copy once the copy is verified').check();
    const dryRun = page.getByTestId('move-plan');
    const startMove = page.getByRole('form', { name: 'Move results' }).getByRole('button', { name: 'Start' });
    await expect.poll(() => dryRun.textContent()).toMatch(/^150 results, .+ would move, each source copy deleted once its copy is verified\.$/);

    // The server's word on a field stands next to it: a folder that climbs out is refused.
    await page.locator('#move-folder').fill('images/../secrets');
    await expect.poll(() => page.locator('#move-folder-error').textContent()).toMatch(/must not contain "\." or "\.\." folders/);
    expect(await page.locator('#move-folder').getAttribute('aria-invalid')).toBe('true');
    expect(await startMove.isDisabled()).toBe(true);
    await page.locator('#move-folder').fill('images/tools');
    await expect.poll(() => dryRun.textContent()).toMatch(/^150 results/);

    // Moving a location onto itself is refused next to To, and Start is off.
    await page.getByLabel('To', { exact: true }).selectOption(locationA.id);
    await expect.poll(() => page.locator('#move-to-error').textContent()).toBe('Choose a location other than the one results move from.');
    expect(await startMove.isDisabled()).toBe(true);
    await page.getByLabel('To', { exact: true }).selectOption(locationB.id);
    await expect.poll(() => dryRun.textContent()).toMatch(/^150 results/);

    await startMove.click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent()).toContain('Moving 150 results');
    const job = page.getByTestId('bulk-job');
    const progress = job.getByRole('progressbar');
    const done = async () => Number(await progress.getAttribute('aria-valuenow'));

    // The bar advances as the job works (the screen polls every 2 s while a job runs).
    expect(await progress.getAttribute('aria-valuemax')).toBe(String(RESULTS));
    await expect.poll(done, { timeout: 20_000 }).toBeGreaterThan(0);
    const first = await done();
    await expect.poll(done, { timeout: 20_000 }).toBeGreaterThan(first);
    expect(await done()).toBeLessThan(RESULTS);
    await expect.poll(() => job.getByTestId('job-rate').textContent()).toMatch(/\/s · .+ results\/s/);
    await screenshot(page, 'tools-job-desktop');

    // Pause: the job says so, and stops after the result in hand.
    await job.getByRole('button', { name: /^Pause/ }).click();
    await expect.poll(() => job.getByTestId('job-state').textContent()).toBe('Paused');
    await new Promise((r) => setTimeout(r, 1_000));
    const [paused] = await jobs();
    await new Promise((r) => setTimeout(r, 2_000));
    const [stillPaused] = await jobs();
    expect(stillPaused).toEqual({ ...paused, state: 'PAUSED' });
    expect(paused!.doneItems).toBeLessThan(RESULTS);
    // The lost result is listed with the reason, under the job.
    expect(paused!.failedItems).toBe(1);
    await expect.poll(() => job.getByTestId('job-failure').textContent()).toContain(lostPath);
    expect(await job.getByRole('button', { name: /^Retry failed/ }).count()).toBe(1);

    // Screenshots while a job is on screen: the Tools screen and the overview's panel, phone and desktop.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'tools-job-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByRole('link', { name: 'Overview' }).click();
    const overviewJob = page.getByTestId('overview-job');
    await expect.poll(() => overviewJob.textContent()).toContain(`Cloudflare R2 · ${targetA.bucket} → Cloudflare R2 · ${targetB.bucket}`);
    expect(await overviewJob.getByTestId('job-state').textContent()).toBe('Paused');
    expect(await overviewJob.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
      String(paused!.doneItems + paused!.skippedItems + paused!.failedItems),
    );
    await screenshot(page, 'overview-job-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'overview-job-desktop');

    // Resume from the overview's link to Tools; the job finishes.
    await page.getByRole('link', { name: 'Move results in Tools' }).click();
    await job.getByRole('button', { name: /^Resume/ }).click();
    await expect.poll(() => job.getByTestId('job-state').textContent()).toBe('Running');
    const history = page.getByTestId('job-history');
    await expect.poll(() => history.first().textContent(), { timeout: 120_000 }).toContain('Completed');
    expect(await history.first().textContent()).toContain(`149 moved, 1 failed`);
    expect(await history.first().textContent()).toContain(TEST_ADMIN.email);
    expect(await page.getByText('No bulk jobs running.').count()).toBe(1);
    // Only the lost result is left at A.
    await page.getByLabel('From', { exact: true }).selectOption(locationA.id);
    await page.getByLabel('To', { exact: true }).selectOption(locationB.id);
    await expect.poll(() => dryRun.textContent()).toBe('1 result, 1 kB would move.');
    await screenshot(page, 'tools-history-desktop');

    // Retrying the failure from the history runs the job again for it alone; the object is still lost, so it fails again.
    const failedAt = async () =>
      (
        await asAdmin<{ bulkJob: { state: string; failures: { failedAt: string }[] } }>(
          page,
          `{ bulkJob(id: "${paused!.id}") { state failures { failedAt } } }`,
        )
      ).bulkJob;
    const before = await failedAt();
    await history
      .first()
      .getByRole('button', { name: /^Retry failed/ })
      .click();
    await expect.poll(() => page.getByTestId('toast-success').last().textContent()).toContain('Retrying the failed results');
    await expect
      .poll(failedAt, { timeout: 30_000 })
      .toEqual({ state: 'COMPLETED', failures: [{ failedAt: expect.not.stringMatching(before.failures[0]!.failedAt) }] });
    await expect.poll(() => history.first().textContent(), { timeout: 15_000 }).toMatch(/149 moved, 1 failed.*Completed/);

    // The buckets, read independently: every object is in B under the prefix, none left in A.
    expect(await keysIn(targetB)).toEqual(
      rels
        .filter((rel) => rel !== lostPath)
        .map((rel) => `${prefix}/${rel}`)
        .sort(),
    );
    expect(await keysIn(targetA)).toEqual([]);
  });

  it('shows the dry runs of the other tools: the scan, and verifying a bucket', { timeout: 30_000 }, async () => {
    // Two images a studio saved but never finalized.
    for (const rel of ['images/unfinalized/a.png', 'images/unfinalized/b.png']) writePng(path.join(server.dataDir, 'results'), rel, 16, 16);
    await page.goto(`${server.url}/app/admin/tools`);
    await page.getByRole('heading', { name: 'Other tools', exact: true }).waitFor();
    // Walking the disk waits for the admin to ask.
    expect(await page.getByTestId('scan-plan').textContent()).toBe('Count first: the scan walks the whole results disk.');
    await page.getByRole('button', { name: 'Count', exact: true }).click();
    await expect.poll(() => page.getByTestId('scan-plan').textContent()).toMatch(/^2 results, .+ would be registered\.$/);
    const { storageLocations } = await asAdmin<{ storageLocations: { id: string; bucket: string | null }[] }>(page, '{ storageLocations { id bucket } }');
    await page.locator('#verify-location').selectOption(storageLocations.find((l) => l.bucket === targetB.bucket)!.id);
    await expect.poll(() => page.getByTestId('verify-plan').textContent()).toMatch(/^149 results, .+ would be read back and checked\.$/);
    // Narrowed by a filter: nothing was created before 2001, and a folder takes only its own.
    await page.getByText('Which results: all').first().click();
    await page.locator('#verify-created-before').fill('2001-01-01');
    await expect.poll(() => page.getByTestId('verify-plan').textContent()).toBe('No stored objects in this bucket match: nothing to check.');
    await page.locator('#verify-created-before').fill('');
    await page.locator('#verify-folder').fill('images/tools');
    await expect.poll(() => page.getByTestId('verify-plan').textContent()).toMatch(/^149 results, .+ would be read back and checked\.$/);
    await page.locator('#verify-folder').fill('images/elsewhere');
    await expect.poll(() => page.getByTestId('verify-plan').textContent()).toBe('No stored objects in this bucket match: nothing to check.');
  });
});
