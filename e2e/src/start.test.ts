import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import type { HealthReport } from '@offload/types';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '@offload/server/testing';
import { launchBrowser, screenshot } from './browser.js';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/server');

let server: ServerProcess;
let browser: Browser;
let context: BrowserContext;
beforeAll(async () => {
  [server, browser] = await Promise.all([startServerProcess(), launchBrowser()]);
  context = await browser.newContext();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('starting the product', () => {
  it('prints the URLs to open', () => {
    expect(server.output()).toContain(`Admin:       ${server.url}/app/admin`);
    expect(server.output()).toContain(`Playground:  ${server.url}/playground`);
    expect(server.output()).toContain(`Health:      ${server.url}/healthz`);
  });

  it('generates an app key when none is set, and warns that production needs its own', () => {
    expect(server.output()).toMatch(/APP_KEY is not set: using a key generated into .*app-key\. Production must set its own APP_KEY\./);
  });

  it('is healthy', async () => {
    const res = await fetch(`${server.url}/healthz`);
    const health = (await res.json()) as HealthReport;
    expect(res.status).toBe(200);
    expect(health.status).toBe('ok');
  });

  it('sends a signed-out visitor to sign-in, and back to the page they asked for after', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/app/admin/?from=bookmark`);
    await page.getByRole('heading', { name: 'Sign in to Offload' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/admin/sign-in');
    await page.getByLabel('Email').fill(TEST_ADMIN.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Email or password is incorrect');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/app\/admin\/?$/);
    expect(new URL(page.url()).search).toBe('?from=bookmark');
    await expect.poll(() => page.getByTestId('server-version').textContent()).toMatch(/^\d+\.\d+\.\d+$/);
    await expect.poll(() => page.locator('.account').textContent()).toContain(TEST_ADMIN.email);
    await screenshot(page, 'overview');
    await page.close();
  });

  it('serves the admin’s client-side routes on reload', async () => {
    const res = await fetch(`${server.url}/app/admin/some/deep/route`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
  });

  it('runs a query in the bundled GraphQL playground, as the signed-in admin', async () => {
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
    });
    await page.goto(`${server.url}/playground`);
    const run = page.getByRole('button', { name: /execute query|run/i }).first();
    // The button shows before the editor holds the default query; run it only once it does.
    await expect.poll(() => page.locator('.view-lines').first().innerText(), { timeout: 30_000 }).toContain('serverInfo');
    await run.click();
    await expect.poll(() => page.locator('.result-window').innerText(), { timeout: 15_000 }).toContain('"version"');
    await screenshot(page, 'playground');
    expect(external).toEqual([]);
    await page.close();
  });

  it('signs out: the admin is back at sign-in and the session is gone', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/app/admin`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Offload' }).waitFor();
    await page.goto(`${server.url}/app/admin`);
    await page.getByRole('heading', { name: 'Sign in to Offload' }).waitFor();
    await page.close();
  });
});

describe('starting with bad configuration', () => {
  it('stops with one line naming the variable and the problem', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverDir,
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'postgres://127.0.0.1/none' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('Invalid configuration: PORT must be a number');
  });
});
