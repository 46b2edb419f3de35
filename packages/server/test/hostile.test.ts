import http from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.js';

/**
 * Bad input from every direction: each must get a clear 4xx or a GraphQL error with a stable
 * code — never a 500, a crash, or a change to stored data.
 */
let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;
let readOnly: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  readOnly = await app.tokenHeaders(['CREATIVES_READ']);
  await app.graphql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
  await app.graphql('mutation { installPlugin(key: AMAZON_S3) { installed } }', {}, admin);
  await app.graphql('mutation { installPlugin(key: WASABI) { installed } }', {}, admin);
  mkdirSync(path.join(app.config.resultsDir, 'images/links'), { recursive: true });
  writeFileSync(path.join(app.config.resultsDir, '.env'), 'SECRET=1');
  symlinkSync('/etc', path.join(app.config.resultsDir, 'images/links/etc'));
  symlinkSync('/etc/passwd', path.join(app.config.resultsDir, 'images/links/passwd.png'));
});
afterAll(() => app?.stop());

async function snapshot() {
  const db = app.orm.em.getConnection();
  return JSON.stringify({
    creatives: await db.execute('select id, path, offload_status from creative order by id'),
    settings: await db.execute('select key, value from setting order by key'),
    tokens: await db.execute('select id, revoked_at from api_token order by id'),
    admins: await db.execute('select id, email, password_hash from admin_user order by id'),
  });
}

type Outcome = { status: number; code?: string };

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<Outcome> {
  const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code };
}
const gql = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = admin) =>
  post(JSON.stringify({ query, variables }), headers);

/** A raw request, so the path reaches the server exactly as written (no URL normalisation). */
function raw(method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Outcome> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const FINALIZE = 'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }';
const finalizePath = (p: string) => gql(FINALIZE, { i: { path: p, studio: 'IMAGE' } }, platform);
const PROVIDER = { r2: 'CLOUDFLARE_R2', s3: 'AMAZON_S3', wasabi: 'WASABI' };
const save = (provider: keyof typeof PROVIDER, values: Record<string, unknown>) =>
  gql('mutation($p: ProviderKey!, $v: JSONObject!) { saveProviderSettings(provider: $p, values: $v) { configured } }', { p: PROVIDER[provider], v: values });

const BAD = 'BAD_USER_INPUT';
const INVALID = 'GRAPHQL_VALIDATION_FAILED';
const cases: [string, () => Promise<Outcome>, number | number[], string | string[] | undefined][] = [];
const add = (name: string, run: () => Promise<Outcome>, status: number | number[], code?: string | string[]) => cases.push([name, run, status, code]);

// --- path traversal and odd paths on finalize (platform token)
for (const p of [
  '../etc/passwd',
  '../../../../etc/passwd',
  'images/../../etc/passwd',
  '/etc/passwd',
  '/',
  '.',
  '..',
  'images/./x.png',
  'images//x.png',
  'images/x.png/',
  '..\\..\\windows\\win.ini',
  'C:\\Windows\\win.ini',
  '\\\\server\\share\\x.png',
  'images/nul\u0000.png',
  'images/\u0001ctl.png',
  'images/links/passwd.png',
  'images/links/etc/passwd',
  'images/links',
  'images',
  'file:///etc/passwd',
  '~/.ssh/id_rsa',
  '%2e%2e/%2e%2e/etc/passwd',
  'images/missing.png',
  'x'.repeat(5000),
  '',
])
  add(`finalize path ${JSON.stringify(p.slice(0, 40))}`, () => finalizePath(p), 200, BAD);
add(
  'finalize with an invalid content type',
  () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'IMAGE', contentType: 'not a type' } }, platform),
  200,
  BAD,
);
add(
  'finalize with a header-injecting content type',
  () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'IMAGE', contentType: 'image/png\r\nX-Evil: 1' } }, platform),
  200,
  BAD,
);
add(
  'finalize with 20 KB of metadata',
  () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'IMAGE', metadata: { blob: 'x'.repeat(20_000) } } }, platform),
  200,
  BAD,
);
add(
  'finalize with metadata that is not an object',
  () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'IMAGE', metadata: [1, 2] } }, platform),
  [200, 400],
  [BAD, INVALID],
);
add('finalize with an unknown studio', () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'AUDIO' } }, platform), [200, 400], [BAD, INVALID]);
add('finalize with a number for the path', () => gql(FINALIZE, { i: { path: 42, studio: 'IMAGE' } }, platform), [200, 400], [BAD, INVALID]);
add('finalize without a studio', () => gql(FINALIZE, { i: { path: 'images/x.png' } }, platform), [200, 400], [BAD, INVALID]);

// --- HTTP routes: traversal, dotfiles, bad ids
for (const p of [
  '/results/../../etc/passwd',
  '/results/%2e%2e/%2e%2e/etc/passwd',
  '/results/..%2f..%2fetc%2fpasswd',
  '/results/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/results/.env',
  '/results/images/links/passwd.png',
  '/results/images/links/etc/passwd',
  '/results/%00',
  '/results/images/%ff.png',
  '/results/',
  '/results/images/..%5c..%5cetc%5cpasswd',
]) {
  add(`GET ${p}`, () => raw('GET', p), [400, 403, 404]);
}
for (const id of ['not-a-uuid', "'; drop table creative;--", '00000000-0000-4000-8000-000000000000', 'x'.repeat(3000), '%00', '..%2f..%2fetc%2fpasswd']) {
  add(`GET /creatives/${id.slice(0, 20)}/download`, () => raw('GET', `/creatives/${encodeURIComponent(id)}/download`), [400, 404]);
}
add('PUT /results/x.png', () => raw('PUT', '/results/x.png', { 'Content-Type': 'image/png' }, 'x'), [404, 405]);
add('DELETE /results/images', () => raw('DELETE', '/results/images'), [404, 405]);
add('GET /metrics while it is off', () => raw('GET', '/metrics'), 404);

// --- sizes and shapes of the request itself
add('a 2 MB request body', () => post(JSON.stringify({ query: '{ me { email } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } })), 413);
add('malformed JSON', () => post('{"query": '), 400);
add('a JSON string as the body', () => post('"{ me { email } }"'), 400);
add('a JSON number as the body', () => post('42'), 400);
add('null as the body', () => post('null'), 400);
add('query that is not a string', () => post(JSON.stringify({ query: { me: 1 } })), 400);
add('variables that are a string', () => post(JSON.stringify({ query: '{ me { email } }', variables: 'x' })), 400);
add('an empty query', () => post(JSON.stringify({ query: '' })), 400);
add('a batched request', () => post(JSON.stringify([{ query: '{ me { email } }' }, { query: '{ me { email } }' }])), 400);
add('a query of 3,000 tokens', () => gql(`{ ${Array.from({ length: 1500 }, () => 'me { email }').join(' ')} }`), 400, 'GRAPHQL_PARSE_FAILED');
add('60 aliases', () => gql(`{ ${Array.from({ length: 60 }, (_, i) => `a${i}: me { email }`).join(' ')} }`), [200, 400], [INVALID, 'BAD_USER_INPUT']);
add(
  '40 directives',
  () => gql(`{ me ${Array.from({ length: 40 }, () => '@include(if: true)').join(' ')} { email } }`),
  [200, 400],
  [INVALID, 'BAD_USER_INPUT'],
);
add('a fragment cycle', () => gql('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), [200, 400], INVALID);
add('a field that does not exist', () => gql('{ nope }'), [200, 400], INVALID);
add(
  'an unknown operation name',
  () => post(JSON.stringify({ query: 'query A { me { email } }', operationName: 'B' })),
  [200, 400],
  ['OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST'],
);
add('two operations and no name', () => gql('query A { me { email } } query B { me { email } }'), [200, 400], ['OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST']);
add(
  'a mutation over GET',
  () => raw('GET', `/graphql?query=${encodeURIComponent('mutation { signOut }')}`, { 'apollo-require-preflight': 'true' }),
  [400, 405],
);

// --- CSRF-style requests a browser could send cross-site without preflight
add('text/plain POST', () => post(JSON.stringify({ query: 'mutation { signOut }' }), { ...admin, 'Content-Type': 'text/plain' }), 400);
add('form-urlencoded POST', () => post('query=mutation%20%7B%20signOut%20%7D', { ...admin, 'Content-Type': 'application/x-www-form-urlencoded' }), 400);
add(
  'multipart POST',
  () =>
    post('--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { email } }\r\n--b--', {
      ...admin,
      'Content-Type': 'multipart/form-data; boundary=b',
    }),
  400,
);
add(
  'simple GET query without a preflight header',
  () => raw('GET', `/graphql?query=${encodeURIComponent('{ apiTokens { id } }')}`, { Cookie: admin.Cookie! }),
  400,
);

// --- credentials: missing, forged, wrong kind, wrong scope
add('admin operation with no credentials', () => gql('{ apiTokens { id } }', {}, {}), 200, 'UNAUTHENTICATED');
add('admin operation with a platform token', () => gql('{ apiTokens { id } }', {}, platform), 200, 'FORBIDDEN');
add('finalize with a read-only token', () => gql(FINALIZE, { i: { path: 'images/x.png', studio: 'IMAGE' } }, readOnly), 200, 'FORBIDDEN');
add('a forged token', () => gql('{ me { email } }', {}, { Authorization: `Bearer off_${'A'.repeat(43)}` }), 401, 'UNAUTHENTICATED');
add('a token without the prefix', () => gql('{ me { email } }', {}, { Authorization: `Bearer ${'A'.repeat(43)}` }), 401, 'UNAUTHENTICATED');
add('a 300-character bearer', () => gql('{ me { email } }', {}, { Authorization: `Bearer ${'A'.repeat(300)}` }), 401, 'UNAUTHENTICATED');
add('a lowercase bearer scheme', () => gql('{ me { email } }', {}, { Authorization: 'bearer x' }), 401, 'UNAUTHENTICATED');
add('basic auth', () => gql('{ me { email } }', {}, { Authorization: 'Basic YWRtaW46YWRtaW4=' }), 401, 'UNAUTHENTICATED');
add('a forged session cookie', () => gql('{ apiTokens { id } }', {}, { Cookie: `offload_session=${'A'.repeat(43)}` }), 200, 'UNAUTHENTICATED');
add('a session cookie with odd characters', () => gql('{ apiTokens { id } }', {}, { Cookie: 'offload_session=%00%27%22;x' }), 200, 'UNAUTHENTICATED');
add('a 4 KB session cookie', () => gql('{ apiTokens { id } }', {}, { Cookie: `offload_session=${'A'.repeat(4000)}` }), 200, 'UNAUTHENTICATED');
add(
  'sign-in with an email that is an object',
  () => gql('mutation($e: String!) { signIn(email: $e, password: "x") { id } }', { e: { $gt: '' } }, {}),
  [200, 400],
  [BAD, INVALID],
);
add(
  'sign-in with a 100 KB password',
  () => gql('mutation($p: String!) { signIn(email: "a@b.c", password: $p) { id } }', { p: 'x'.repeat(100_000) }, { 'X-Forwarded-For': '10.7.7.7' }),
  200,
  'UNAUTHENTICATED',
);
add('revoke a token id that is SQL', () => gql(`mutation { revokeApiToken(id: "1' or '1'='1") { id } }`), 200, 'NOT_FOUND');
add(
  'create a token with a 10 KB name',
  () => gql('mutation($n: String!) { createApiToken(input: { name: $n, scopes: [CREATIVES_READ] }) { token } }', { n: 'x'.repeat(10_000) }),
  200,
  BAD,
);
add(
  'create a token with an unknown scope',
  () => gql('mutation { createApiToken(input: { name: "x", scopes: [EVERYTHING] }) { token } }'),
  [200, 400],
  INVALID,
);

// --- provider settings: URLs, endpoints, bucket names, prefixes, ids
for (const url of [
  'javascript:alert(1)',
  'file:///etc/passwd',
  'data:text/html,x',
  'ftp://cdn.example.com',
  'gopher://x',
  'http://',
  'https://user:pw@cdn.example.com',
  'https://cdn.example.com/?q=1',
  'https://cdn.example.com/#x',
  `https://x.com/${'a'.repeat(2100)}`,
  'not a url',
  '//cdn.example.com',
]) {
  add(`R2 public URL ${url.slice(0, 30)}`, () => save('r2', { publicUrl: url }), 200, BAD);
}
for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'http://u:p@127.0.0.1:9000', 'unix:/var/run/docker.sock']) {
  add(`R2 custom endpoint ${url.slice(0, 30)}`, () => save('r2', { customEndpoint: url }), 200, BAD);
  add(`S3 endpoint ${url.slice(0, 30)}`, () => save('s3', { endpoint: url }), 200, BAD);
  add(`Wasabi endpoint ${url.slice(0, 30)}`, () => save('wasabi', { endpoint: url }), 200, BAD);
}
for (const bucket of ['ab', 'A-Bucket', 'my_bucket', '-bucket', 'bucket-', 'my..bucket', 'my.-bucket', '192.168.0.1', 'b'.repeat(64), 'buc ket', 'bücket']) {
  add(`bucket ${JSON.stringify(bucket.slice(0, 20))}`, () => save('r2', { bucket }), 200, BAD);
}
for (const keyPrefix of ['../up', 'a/../../b', 'a/./b', 'back\\slash', 'nul\u0000', 'p'.repeat(600)]) {
  add(`key prefix ${JSON.stringify(keyPrefix.slice(0, 20))}`, () => save('s3', { keyPrefix }), 200, BAD);
}
add('R2 account id that is not hex', () => save('r2', { accountId: 'zz' }), 200, BAD);
add('S3 region with spaces', () => save('s3', { region: 'US EAST 1' }), 200, BAD);
add('Wasabi region with a slash', () => save('wasabi', { region: 'us-east-1/../x' }), 200, BAD);
add('access key id with a space', () => save('r2', { accessKeyId: 'AKID EXAMPLE' }), 200, BAD);
add('secret with a newline', () => save('r2', { secretAccessKey: 'abc\ndef' }), 200, BAD);
add('enable with nothing configured', () => save('wasabi', { enabled: true }), 200, BAD);
add('enabled as a string', () => save('r2', { enabled: 'yes' }), 200, BAD);
add('a setting the provider does not have', () => save('r2', { region: 'us-east-1' }), 200, BAD);
add(
  'settings that are not an object',
  () => gql('mutation { saveProviderSettings(provider: WASABI, values: "bucket") { configured } }'),
  [200, 400],
  [BAD, INVALID],
);
add(
  'a field of another provider in a connection test',
  () => gql('mutation { testStorageConnection(provider: WASABI, values: { accountId: "x" }) { ok } }'),
  200,
  BAD,
);
add('a default storage that is not selectable', () => gql('mutation { setDefaultStorage(storage: WASABI) { effective { key } } }'), 200, BAD);
add('a default storage that does not exist', () => gql('mutation { setDefaultStorage(storage: GCS) { effective { key } } }'), [200, 400], INVALID);
add('install a plugin that does not exist', () => gql('mutation { installPlugin(key: DROPBOX) { key } }'), [200, 400], INVALID);

// --- creatives: ids, pages, cursors
add(
  'creative with a non-uuid id',
  async () => {
    const out = await gql('{ creative(id: "../../etc") { id } }', {}, platform);
    return { ...out, code: out.code ?? 'NULL' };
  },
  200,
  'NULL',
);
add('first: 0', () => gql('{ creatives(first: 0) { nodes { id } } }', {}, platform), 200, BAD);
add('first: 100000', () => gql('{ creatives(first: 100000) { nodes { id } } }', {}, platform), [200, 400], [BAD, INVALID]);
add('first: -1', () => gql('{ creatives(first: -1) { nodes { id } } }', {}, platform), 200, BAD);
add('first as a string', () => gql('{ creatives(first: "10") { nodes { id } } }', {}, platform), [200, 400], INVALID);
add('first beyond 32 bits', () => gql('{ creatives(first: 99999999999) { nodes { id } } }', {}, platform), [200, 400], INVALID);
add('a forged cursor', () => gql('{ creatives(first: 5, after: "not-a-cursor") { nodes { id } } }', {}, platform), 200, BAD);
add(
  'a cursor with SQL in it',
  () =>
    gql(
      '{ creatives(first: 5, after: $c) { nodes { id } } }'.replace('$c', JSON.stringify(Buffer.from("2026-01-01|' or 1=1 --").toString('base64url'))),
      {},
      platform,
    ),
  200,
  BAD,
);
add(
  'delete a creative that is not there',
  async () => {
    const out = await gql('mutation { deleteCreative(id: "00000000-0000-4000-8000-000000000000") }', {}, platform);
    return { ...out, code: out.code ?? 'NONE' };
  },
  200,
  'NONE',
);
add('retry an offload that is not there', () => gql('mutation { retryOffload(id: "00000000-0000-4000-8000-000000000000") { id } }'), 200, 'NOT_FOUND');

describe(`the hostile-input suite (${cases.length} cases)`, () => {
  it('has at least 100 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it('answers every case with a clear 4xx or coded GraphQL error, and changes no stored data', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const [name, run, status, code] of cases) {
      const out = await run();
      const statuses = Array.isArray(status) ? status : [status];
      const codes = code === undefined ? undefined : Array.isArray(code) ? code : [code];
      if (out.status >= 500 || !statuses.includes(out.status) || (codes && !codes.includes(out.code ?? ''))) {
        failures.push(`${name}: got ${out.status} ${out.code ?? ''}, expected ${statuses.join('|')} ${codes?.join('|') ?? ''}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    expect(app.logs.text).not.toMatch(/"level":(50|60)/);
  }, 120_000);

  it('leaves the server healthy', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
