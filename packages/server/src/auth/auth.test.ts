import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN, type TestApp } from '../../test/harness.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

const SIGN_IN = 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { email } }';

async function signIn(email: string, password: string, headers: Record<string, string> = {}, on: TestApp = app) {
  const res = await fetch(`${on.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query: SIGN_IN, variables: { e: email, p: password } }),
  });
  return {
    cookie: res.headers.get('set-cookie'),
    body: (await res.json()) as { data?: { signIn: { email: string } }; errors?: { message: string; extensions: { code: string } }[] },
  };
}

describe('admin sign-in', () => {
  it('opens a session in an httpOnly, SameSite=Strict cookie', async () => {
    const { cookie, body } = await signIn(TEST_ADMIN.email.toUpperCase(), TEST_ADMIN.password);
    expect(body.data?.signIn.email).toBe(TEST_ADMIN.email);
    expect(cookie).toMatch(/^offload_session=[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await app.graphql('{ me { email } }', {}, { Cookie: cookie!.split(';')[0]! });
    expect(me.data).toEqual({ me: { email: TEST_ADMIN.email } });
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const { cookie } = await signIn(TEST_ADMIN.email, TEST_ADMIN.password, { 'X-Forwarded-Proto': 'https' });
    expect(cookie).toMatch(/Secure/);
  });

  it('answers a wrong password and an unknown email with the same error', async () => {
    const wrongPassword = await signIn(TEST_ADMIN.email, 'not the password', { 'X-Forwarded-For': '10.0.0.1' });
    const unknownEmail = await signIn('nobody@offload.test', TEST_ADMIN.password, { 'X-Forwarded-For': '10.0.0.1' });
    expect(wrongPassword.cookie).toBeNull();
    expect(wrongPassword.body.errors?.[0]).toMatchObject({ message: 'Email or password is incorrect', extensions: { code: 'UNAUTHENTICATED' } });
    expect(unknownEmail.body.errors?.[0]?.message).toBe('Email or password is incorrect');
  });

  it('stores only an argon2id hash of the password', async () => {
    const [row] = await app.orm.em.getConnection().execute('select password_hash from admin_user');
    expect(row?.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(row)).not.toContain(TEST_ADMIN.password);
  });

  it('slows down password guessing: after 10 failures it refuses even the right password for a while', async () => {
    const email = TEST_ADMIN.email;
    for (let i = 0; i < 10; i++) await signIn(email, `guess-${i}`, { 'X-Forwarded-For': '10.9.9.9' });
    const blocked = await signIn(email, TEST_ADMIN.password, { 'X-Forwarded-For': '10.9.9.9' });
    expect(blocked.body.errors?.[0]?.extensions.code).toBe('TOO_MANY_REQUESTS');
    expect(blocked.body.errors?.[0]?.message).toMatch(/Try again in \d+ seconds/);
  });

  it('counts failures across API processes: two processes on one database allow 10 in all, not 10 each', async () => {
    const second = await startTestApp({ DATABASE_URL: app.config.databaseUrl! });
    try {
      const from = { 'X-Forwarded-For': '10.9.9.10' };
      for (let i = 0; i < 10; i++) await signIn(TEST_ADMIN.email, `guess-${i}`, from, i % 2 ? second : app);
      for (const process of [app, second]) {
        const blocked = await signIn(TEST_ADMIN.email, TEST_ADMIN.password, from, process);
        expect(blocked.body.errors?.[0]?.extensions.code).toBe('TOO_MANY_REQUESTS');
      }
      // Another address is not affected.
      expect((await signIn(TEST_ADMIN.email, TEST_ADMIN.password, { 'X-Forwarded-For': '10.9.9.11' }, second)).body.data?.signIn.email).toBe(TEST_ADMIN.email);
    } finally {
      await second.stop();
    }
  });

  it('ends the session on sign-out: the old cookie no longer works', async () => {
    const { cookie } = await signIn(TEST_ADMIN.email, TEST_ADMIN.password, { 'X-Forwarded-For': '10.0.0.2' });
    const session = { Cookie: cookie!.split(';')[0]! };
    const out = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...session },
      body: JSON.stringify({ query: 'mutation { signOut }' }),
    });
    expect(out.headers.get('set-cookie')).toMatch(/offload_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await app.graphql('{ me { email } }', {}, session)).data).toEqual({ me: null });
    expect((await app.graphql('{ serverInfo { version } }', {}, session)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('platform API tokens', () => {
  const CREATE = 'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name prefix scopes revokedAt } } }';

  it('are shown once at creation and stored only as a hash', async () => {
    const res = await app.graphql<{ createApiToken: { token: string; apiToken: { id: string; prefix: string; scopes: string[] } } }>(
      CREATE,
      { input: { name: 'Image Studio', scopes: ['CREATIVES_WRITE', 'CREATIVES_READ'] } },
      await app.adminHeaders(),
    );
    const { token, apiToken } = res.data!.createApiToken;
    expect(token).toMatch(/^off_[\w-]{43}$/);
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    expect(apiToken.scopes).toEqual(['CREATIVES_WRITE', 'CREATIVES_READ']);
    const dump = JSON.stringify(await app.orm.em.getConnection().execute('select * from api_token'));
    expect(dump).not.toContain(token);
    const listed = await app.graphql<{ apiTokens: { id: string }[] }>('{ apiTokens { id name prefix } }', {}, await app.adminHeaders());
    expect(listed.data?.apiTokens.map((t) => t.id)).toContain(apiToken.id);
    expect(JSON.stringify(listed)).not.toContain(token);
  });

  it('refuse to be created without a name or a scope, naming the field', async () => {
    const noName = await app.graphql(CREATE, { input: { name: '  ', scopes: ['CREATIVES_READ'] } }, await app.adminHeaders());
    expect(noName.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'name' } });
    const noScope = await app.graphql(CREATE, { input: { name: 'x', scopes: [] } }, await app.adminHeaders());
    expect(noScope.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'scopes' } });
  });

  it('authenticate the platform until revoked, then get a 401', async () => {
    const bearer = await app.tokenHeaders(['CREATIVES_READ']);
    expect((await app.graphql('{ serverInfo { version } }', {}, bearer)).data).toBeTruthy();
    const { data } = await app.graphql<{ apiTokens: { id: string; revokedAt: string | null }[] }>(
      '{ apiTokens { id revokedAt } }',
      {},
      await app.adminHeaders(),
    );
    const id = data!.apiTokens[0]!.id;
    const revoked = await app.graphql<{ revokeApiToken: { revokedAt: string } }>(
      'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }',
      { id },
      await app.adminHeaders(),
    );
    expect(revoked.data?.revokeApiToken.revokedAt).toBeTruthy();
    const after = await app.graphql('{ serverInfo { version } }', {}, bearer);
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answer a forged or malformed Authorization header with a 401', async () => {
    for (const header of ['Bearer off_forged0000000000000000000000000000000000000', 'Basic YWRtaW46YWRtaW4=', 'Bearer ', 'Bearer a b']) {
      const res = await app.graphql('{ me { email } }', {}, { Authorization: header });
      expect(res.status, header).toBe(401);
      expect(res.errors?.[0]?.extensions?.code, header).toBe('UNAUTHENTICATED');
    }
  });

  it('revoking an unknown id says so instead of failing', async () => {
    const res = await app.graphql('mutation { revokeApiToken(id: "not-a-uuid") { id } }', {}, await app.adminHeaders());
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
