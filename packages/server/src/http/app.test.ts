import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { VERSION } from '../system/version.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

describe('the HTTP surface', () => {
  it('reports healthy with its version when the database answers', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: VERSION, database: { ok: true } });
  });

  it('has applied its migrations to the database on start', async () => {
    const rows = await app.orm.em.getConnection().execute(`select to_regclass('public.setting') as t`);
    expect(rows[0]?.t).toBe('setting');
  });

  it('answers GraphQL at /graphql', async () => {
    const res = await app.graphql<{ serverInfo: { version: string } }>('{ serverInfo { version } }', {}, await app.adminHeaders());
    expect(res.data?.serverInfo.version).toBe(VERSION);
  });

  it('echoes a caller’s request id, and makes one up otherwise', async () => {
    const given = await fetch(`${app.url}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await fetch(`${app.url}/healthz`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs requests as JSON lines carrying the request id', async () => {
    await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'log-me-42', ...(await app.adminHeaders()) },
      body: JSON.stringify({ query: '{ serverInfo { version } }' }),
    });
    const line = app.logs.lines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'log-me-42');
    expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
  });

  it('refuses a GraphQL request a browser could send cross-site without preflight (CSRF)', async () => {
    const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ serverInfo { version } }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/);
  });

  it('answers a malformed query with a parse error, not a 500', async () => {
    const res = await app.graphql('{ serverInfo { ');
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('serves local results with ETag, Last-Modified, and byte ranges for video', async () => {
    const dir = path.join(app.config.resultsDir, 'videos/veo');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'clip.mp4'), Buffer.from('0123456789'));
    const full = await fetch(`${app.url}/results/videos/veo/clip.mp4`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('etag')).toBeTruthy();
    expect(full.headers.get('last-modified')).toBeTruthy();
    const part = await fetch(`${app.url}/results/videos/veo/clip.mp4`, { headers: { Range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('2345');
  });

  it('answers 404 for a result that does not exist or escapes the results folder', async () => {
    expect((await fetch(`${app.url}/results/images/nope.png`)).status).toBe(404);
    expect((await fetch(`${app.url}/results/..%2f..%2fetc%2fpasswd`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${app.url}/results/..%2f..%2fetc%2fpasswd`)).status).toBeLessThan(500);
  });
});

describe('in production', () => {
  let prod: TestApp;
  beforeAll(async () => {
    prod = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(() => prod?.stop());

  it('turns off introspection and the playground by default', async () => {
    const res = await prod.graphql('{ __schema { queryType { name } } }', {}, await prod.adminHeaders());
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await fetch(`${prod.url}/playground`)).status).toBe(404);
  });

  it('does not suggest field names to callers', async () => {
    const res = await prod.graphql('{ serverInf { version } }', {}, await prod.adminHeaders());
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
