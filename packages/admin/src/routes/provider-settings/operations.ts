import { gql, type TypedDocumentNode } from '@apollo/client';
import type { ProviderKey } from '@offload/types';

const COMMON = 'enabled deleteLocalCopy accessKeyId hasSecretAccessKey bucket publicUrl keyPrefix usePathStyleEndpoint configured missingFields settingsError';

export interface SettingsView {
  enabled: boolean;
  deleteLocalCopy: boolean;
  accessKeyId: string;
  hasSecretAccessKey: boolean;
  bucket: string;
  publicUrl: string;
  keyPrefix: string;
  usePathStyleEndpoint: boolean;
  configured: boolean;
  missingFields: string[];
  settingsError: string | null;
  accountId?: string;
  customEndpoint?: string;
  region?: string;
  endpoint?: string | null;
}

type Ops = { enumKey: string; testArg: string; query: TypedDocumentNode<{ settings: SettingsView }>; save: TypedDocumentNode<{ settings: SettingsView }, { input: Record<string, unknown> }> };

/** The typed operations of each provider's screen; the fields come from the shared catalog. */
export const PROVIDER_OPERATIONS: Record<ProviderKey, Ops> = {
  'cloudflare-r2': {
    enumKey: 'CLOUDFLARE_R2',
    testArg: 'cloudflareR2',
    query: gql`query CloudflareR2Settings { settings: cloudflareR2Settings { ${COMMON} accountId customEndpoint endpoint region } }`,
    save: gql`mutation SaveCloudflareR2Settings($input: CloudflareR2SettingsInput!) { settings: saveCloudflareR2Settings(input: $input) { ${COMMON} accountId customEndpoint endpoint region } }`,
  },
  'amazon-s3': {
    enumKey: 'AMAZON_S3',
    testArg: 'amazonS3',
    query: gql`query AmazonS3Settings { settings: amazonS3Settings { ${COMMON} region endpoint } }`,
    save: gql`mutation SaveAmazonS3Settings($input: AmazonS3SettingsInput!) { settings: saveAmazonS3Settings(input: $input) { ${COMMON} region endpoint } }`,
  },
  wasabi: {
    enumKey: 'WASABI',
    testArg: 'wasabi',
    query: gql`query WasabiSettings { settings: wasabiSettings { ${COMMON} region endpoint } }`,
    save: gql`mutation SaveWasabiSettings($input: WasabiSettingsInput!) { settings: saveWasabiSettings(input: $input) { ${COMMON} region endpoint } }`,
  },
};

export const TestStorageConnectionMutation: TypedDocumentNode<
  { testStorageConnection: { ok: boolean; step: string | null; code: string | null; message: string; warnings: string[] } },
  Record<string, unknown>
> = gql`
  mutation TestStorageConnection($provider: ProviderKey!, $cloudflareR2: CloudflareR2SettingsInput, $amazonS3: AmazonS3SettingsInput, $wasabi: WasabiSettingsInput) {
    testStorageConnection(provider: $provider, cloudflareR2: $cloudflareR2, amazonS3: $amazonS3, wasabi: $wasabi) {
      ok
      step
      code
      message
      warnings
    }
  }
`;
