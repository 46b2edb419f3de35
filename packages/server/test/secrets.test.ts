import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN, type GraphQLResponse, type TestApp } from './harness.js';
import { writeResult } from './offload-fixtures.js';
import { s3TestTarget } from './s3.js';

/**
 * Plants canary secrets everywhere a secret can enter, drives the API through its paths
 * (success and failure), then scans every response, the whole log and a dump of every table.
 */
const target = s3TestTarget();
const CANARY_SECRET = `canarySecret${randomUUID().replace(/-/g, '')}`;
const CANARY_WRONG_PASSWORD = `canaryPassword-${randomUUID()}`;

let app: TestApp;
const responses: string[] = [];
let token = '';

async function call<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await app.graphql<T>(query, variables, headers);
  responses.push(JSON.stringify(res));
  return res;
}

beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', OFFLOAD_MAX_ATTEMPTS: '1' });
});
afterAll(() => app?.stop());

describe('secrets are write-only everywhere', () => {
  it('never shows a password, secret key or token in a response, a log line or the database', async () => {
    const admin = await app.adminHeaders();
    await call(
      'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
      { e: TEST_ADMIN.email, p: CANARY_WRONG_PASSWORD },
      { 'X-Forwarded-For': '10.3.3.3' },
    );
    const created = await call<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "canary", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token apiToken { id prefix } } }',
      {},
      admin,
    );
    token = created.data!.createApiToken.token;
    responses.pop(); // the one response that must show the token: its creation
    const platform = { Authorization: `Bearer ${token}` };
    await call('{ apiTokens { id name prefix scopes lastUsedAt } }', {}, admin);

    await call('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
    const settings = {
      accessKeyId: target.full.accessKeyId,
      bucket: target.bucket,
      customEndpoint: target.endpoint,
      keyPrefix: `canary-${randomUUID().slice(0, 8)}`,
    };
    // A wrong secret first: the failure path must not echo it either.
    await call(
      'mutation($s: JSONObject) { testStorageConnection(provider: CLOUDFLARE_R2, values: $s) { ok code message warnings } }',
      { s: { ...settings, secretAccessKey: CANARY_SECRET } },
      admin,
    );
    await call(
      '{ providerSettings(provider: CLOUDFLARE_R2) { values storedSecrets endpoint } storageProviders { key problem } defaultStorage { fallbackReason } }',
      {},
      admin,
    );
    // Refused (a space), and the refusal must not quote it.
    await call(
      'mutation($s: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $s) { storedSecrets } }',
      { s: { secretAccessKey: `${CANARY_SECRET} with space` } },
      admin,
    );
    await call('mutation { saveProviderSettings(provider: CLOUDFLARE_R2, values: { enabled: true }) { storedSecrets } }', {}, admin);
    await call('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, admin);

    // An offload with the wrong secret fails, and its error is recorded and logged.
    const rel = `images/gemini/${randomUUID()}.png`;
    await writeResult(app.config.resultsDir, rel, 1000);
    const finalized = await call<{ finalizeCreative: { id: string } }>(
      'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }',
      { i: { path: rel, studio: 'IMAGE' } },
      platform,
    );
    const id = finalized.data!.finalizeCreative.id;
    await expect
      .poll(
        async () =>
          (await call<{ creative: { offloadStatus: string } }>('query($id: ID!) { creative(id: $id) { offloadStatus lastError url } }', { id }, platform)).data
            ?.creative.offloadStatus,
        { timeout: 20_000 },
      )
      .toBe('FAILED');
    await call('{ creatives(first: 50) { nodes { id lastError url } } }', {}, platform);
    await call('{ me { email } }', {}, { Authorization: `Bearer ${token}x` });

    const db = app.orm.em.getConnection();
    const tables = (await db.execute(
      `select table_schema, table_name from information_schema.tables where table_schema in ('public', 'graphile_worker') and table_type = 'BASE TABLE'`,
    )) as { table_schema: string; table_name: string }[];
    let dump = '';
    for (const t of tables) dump += JSON.stringify(await db.execute(`select * from "${t.table_schema}"."${t.table_name}"`));
    expect(tables.length).toBeGreaterThan(5);

    const canaries = {
      adminPassword: TEST_ADMIN.password,
      wrongPassword: CANARY_WRONG_PASSWORD,
      secretAccessKey: CANARY_SECRET,
      apiToken: token,
      s3Secret: target.full.secretAccessKey,
    };
    for (const [name, canary] of Object.entries(canaries)) {
      expect(
        responses.filter((r) => r.includes(canary)),
        `${name} in a response`,
      ).toEqual([]);
      expect(app.logs.text.includes(canary), `${name} in the log`).toBe(false);
      expect(dump.includes(canary), `${name} in the database`).toBe(false);
    }
    expect(responses.length).toBeGreaterThan(10);
  }, 60_000);
});
