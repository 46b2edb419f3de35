import type { TestApp } from './harness.js';
import { s3TestTarget, type S3TestKey } from './s3.js';

export const R2_FIELDS = 'enabled deleteLocalCopy accessKeyId hasSecretAccessKey accountId bucket customEndpoint endpoint region publicUrl keyPrefix usePathStyleEndpoint configured missingFields settingsError';

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

/** Installs the R2 plugin (the app must run with LICENSE_TYPE=extended) and saves these settings. */
export async function configureR2(app: TestApp, input: Record<string, unknown>) {
  const admin = await app.adminHeaders();
  await app.graphql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }', {}, admin);
  const res = await app.graphql<{ saveCloudflareR2Settings: Record<string, unknown> }>(
    `mutation($input: CloudflareR2SettingsInput!) { saveCloudflareR2Settings(input: $input) { ${R2_FIELDS} } }`,
    { input },
    admin,
  );
  if (!res.data) throw new Error(`could not configure R2: ${JSON.stringify(res.errors)}`);
  return res.data.saveCloudflareR2Settings;
}
