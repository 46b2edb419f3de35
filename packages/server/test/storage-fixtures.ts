import { generateKeyPairSync } from 'node:crypto';
import type { TestApp } from './harness.js';
import { s3TestTarget, type S3TestKey, type S3TestTarget } from './s3.js';

/** Everything `providerSettings` / `saveProviderSettings` return. */
export const SETTINGS_FIELDS = 'provider values storedSecrets endpoint configured missingFields settingsError';

export const SAVE_SETTINGS = `mutation($provider: ProviderKey!, $values: JSONObject!) {
  saveProviderSettings(provider: $provider, values: $values) { ${SETTINGS_FIELDS} }
}`;

export interface SettingsView {
  provider: string;
  values: Record<string, string | boolean>;
  storedSecrets: string[];
  endpoint: string | null;
  configured: boolean;
  missingFields: string[];
  settingsError: string | null;
}

/** Cloudflare R2 settings whose custom endpoint is the S3 test server. */
export function r2OnTestServer(key: S3TestKey = s3TestTarget().full, overrides: Record<string, unknown> = {}) {
  const target = s3TestTarget();
  return {
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    bucket: target.bucket,
    customEndpoint: target.endpoint,
    usePathStyleEndpoint: true,
    ...overrides,
  };
}

/** Amazon S3 settings (the S3-compatible preset) for the S3 test server: a second provider that can point at the same bucket as R2. */
export function s3PresetOnTestServer(target: S3TestTarget = s3TestTarget(), overrides: Record<string, unknown> = {}) {
  return {
    accessKeyId: target.full.accessKeyId,
    secretAccessKey: target.full.secretAccessKey,
    region: 'us-east-1',
    bucket: target.bucket,
    endpoint: target.endpoint,
    usePathStyleEndpoint: true,
    ...overrides,
  };
}

/** Installs the provider's plugin (the app must run with LICENSE_TYPE=extended unless it is free) and saves these settings. */
export async function configureProvider(
  app: TestApp,
  provider: 'CLOUDFLARE_R2' | 'AMAZON_S3' | 'WASABI' | 'GOOGLE_CLOUD_STORAGE',
  values: Record<string, unknown>,
): Promise<SettingsView> {
  const admin = await app.adminHeaders();
  await app.graphql(`mutation { installPlugin(key: ${provider}) { installed } }`, {}, admin);
  const res = await app.graphql<{ saveProviderSettings: SettingsView }>(SAVE_SETTINGS, { provider, values }, admin);
  if (!res.data) throw new Error(`could not configure ${provider}: ${JSON.stringify(res.errors)}`);
  return res.data.saveProviderSettings;
}

export const configureR2 = (app: TestApp, values: Record<string, unknown>) => configureProvider(app, 'CLOUDFLARE_R2', values);

/** A service-account key as Google issues it (RSA 2048, PKCS#8), made now: valid to the form, unknown to any token endpoint. */
export function sampleServiceAccountKey(overrides: Record<string, unknown> = {}) {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    type: 'service_account',
    project_id: 'offload-test-123',
    private_key_id: 'c0ffee',
    private_key: privateKey,
    client_email: 'offload@offload-test-123.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...overrides,
  };
}
