import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/harness.js';
import { configureProvider, sampleServiceAccountKey, SAVE_SETTINGS, SETTINGS_FIELDS, type SettingsView } from '../../../test/storage-fixtures.js';

const KEY = sampleServiceAccountKey();
const PEM_BODY = KEY.private_key.split('\n')[5]!;

let app: TestApp;
let admin: Record<string, string>;
beforeAll(async () => {
  app = await startTestApp({ LICENSE_TYPE: 'extended' });
  admin = await app.adminHeaders();
  await app.graphql('mutation { installPlugin(key: GOOGLE_CLOUD_STORAGE) { installed } }', {}, admin);
});
afterAll(async () => {
  // The private key is write-only everywhere: nothing this file did may have logged any of it.
  expect(app.logs.text).not.toContain(PEM_BODY);
  await app?.stop();
});

const save = (values: Record<string, unknown>) =>
  app.graphql<{ saveProviderSettings: SettingsView }>(SAVE_SETTINGS, { provider: 'GOOGLE_CLOUD_STORAGE', values }, admin);

describe('Google Cloud Storage settings', () => {
  it('take a pasted key and a bucket, keep the key write-only and encrypted, and default to the public API endpoint', async () => {
    const saved = await configureProvider(app, 'GOOGLE_CLOUD_STORAGE', {
      serviceAccountKey: JSON.stringify(KEY, null, 2),
      bucket: 'offload-media',
      enabled: true,
    });
    expect(saved).toMatchObject({ configured: true, storedSecrets: ['serviceAccountKey'], endpoint: 'https://storage.googleapis.com', missingFields: [] });
    expect(saved.values).not.toHaveProperty('serviceAccountKey');
    const read = await app.graphql(`{ providerSettings(provider: GOOGLE_CLOUD_STORAGE) { ${SETTINGS_FIELDS} } }`, {}, admin);
    expect(JSON.stringify(read)).not.toContain(PEM_BODY);
    const dump = JSON.stringify(
      await app.orm.em.getConnection().execute('select key, value::text from setting union all select identity, settings::text from storage_location'),
    );
    expect(dump).not.toContain(PEM_BODY);
    expect(dump).not.toContain(KEY.client_email);
  });

  it('keep the stored key when the field is left blank', async () => {
    const res = await save({ serviceAccountKey: '', projectId: 'other-project-42' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.saveProviderSettings).toMatchObject({ configured: true, storedSecrets: ['serviceAccountKey'] });
  });

  it.each([
    ['not JSON', 'not a key {', 'Service account key is not valid JSON'],
    ['a JSON array', '[]', 'Service account key must be the JSON object of a key file'],
    [
      'another kind of credential',
      JSON.stringify({ ...KEY, type: 'authorized_user' }),
      'Service account key must be a service-account key ("type": "service_account"); its type is "authorized_user"',
    ],
    ['a key without its private key', JSON.stringify({ ...KEY, private_key: undefined }), 'Service account key is missing "private_key"'],
    ['a key without its email', JSON.stringify({ ...KEY, client_email: '' }), 'Service account key is missing "client_email"'],
    [
      'a truncated private key',
      JSON.stringify({ ...KEY, private_key: KEY.private_key.replace(/\n[^\n]+\n-----END/, '\n-----END') }),
      'Service account key has a "private_key" that does not parse',
    ],
    [
      'a damaged private key',
      JSON.stringify({ ...KEY, private_key: KEY.private_key.replace(PEM_BODY, PEM_BODY.replace(/[A-Z]/, '*')) }),
      'Service account key has a "private_key" that does not parse',
    ],
  ])('refuse %s by name, without repeating it', async (_case, serviceAccountKey, message) => {
    const res = await save({ serviceAccountKey });
    const error = res.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((error?.extensions?.problems as { field: string; message: string }[])[0]).toEqual({
      field: 'serviceAccountKey',
      message: expect.stringContaining(message),
    });
    expect(JSON.stringify(res)).not.toContain(PEM_BODY);
    expect(JSON.stringify(res)).not.toContain(KEY.private_key.split('\n')[3]);
  });

  it('refuse Google-invalid bucket names and project ids by field', async () => {
    const res = await save({ bucket: 'my-google-bucket', projectId: 'X' });
    expect(res.errors?.[0]?.extensions?.problems).toEqual(
      expect.arrayContaining([
        { field: 'bucket', message: 'Bucket must not start with "goog" or contain "google"' },
        { field: 'projectId', message: 'Project ID must be a project ID such as my-project-123456' },
      ]),
    );
  });

  it('accept underscores in bucket names, as Google does', async () => {
    const res = await save({ bucket: 'media_results-2026' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.saveProviderSettings.values.bucket).toBe('media_results-2026');
  });
});
