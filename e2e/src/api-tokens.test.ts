import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { launchBrowser, screenshot, signIn } from './browser.js';

let server: ServerProcess;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const callAsPlatform = async (token: string) =>
  fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ creativeCount }' }),
  });

describe('the API tokens screen', () => {
  it('creates a token shown once, which the platform can use until it is revoked here', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, TEST_ADMIN);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByLabel('Name').fill('Image Studio');
    await page.getByLabel('Finalize and delete creatives').uncheck();
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!;
    expect(token).toMatch(/^off_[\w-]{43}$/);
    await page.getByRole('cell', { name: 'Image Studio', exact: true }).waitFor();
    expect(await page.getByRole('row', { name: /Image Studio/ }).textContent()).toContain('read');
    await screenshot(page, 'api-tokens');

    expect((await callAsPlatform(token)).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke Image Studio' }).click();
    await page.getByText('Revoked').waitFor();
    expect((await callAsPlatform(token)).status).toBe(401);

    await page.reload();
    await page.getByRole('cell', { name: 'Image Studio', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.close();
  });
});
