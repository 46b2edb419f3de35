import type { TypedDocumentNode } from '@apollo/client';
import type { ProviderKey } from '@offload/types';
import {
  AmazonS3SettingsDocument,
  CloudflareR2SettingsDocument,
  SaveAmazonS3SettingsDocument,
  SaveCloudflareR2SettingsDocument,
  SaveWasabiSettingsDocument,
  WasabiSettingsDocument,
  type AmazonS3SettingsFieldsFragment,
  type AmazonS3SettingsInput,
  type CloudflareR2SettingsFieldsFragment,
  type CloudflareR2SettingsInput,
  type TestStorageConnectionMutationVariables,
  type WasabiSettingsFieldsFragment,
  type WasabiSettingsInput,
} from '@offload/types/graphql';

/** What a provider's screen reads back from the server. */
export type SettingsView = CloudflareR2SettingsFieldsFragment | AmazonS3SettingsFieldsFragment | WasabiSettingsFieldsFragment;
/** The screen builds its input from the shared catalog: fields of whichever provider it shows. */
export type SettingsInput = CloudflareR2SettingsInput & AmazonS3SettingsInput & WasabiSettingsInput;

type Ops = {
  query: TypedDocumentNode<{ settings: SettingsView }, Record<string, never>>;
  save: TypedDocumentNode<{ settings: SettingsView }, { input: SettingsInput }>;
  testVariables: (input: SettingsInput) => TestStorageConnectionMutationVariables;
};

/** Each provider's typed operations (documents in ProviderSettings.graphql, types generated). */
export const PROVIDER_OPERATIONS: Record<ProviderKey, Ops> = {
  'cloudflare-r2': {
    query: CloudflareR2SettingsDocument,
    save: SaveCloudflareR2SettingsDocument,
    testVariables: (cloudflareR2) => ({ provider: 'CLOUDFLARE_R2', cloudflareR2 }),
  },
  'amazon-s3': {
    query: AmazonS3SettingsDocument,
    save: SaveAmazonS3SettingsDocument,
    testVariables: (amazonS3) => ({ provider: 'AMAZON_S3', amazonS3 }),
  },
  wasabi: {
    query: WasabiSettingsDocument,
    save: SaveWasabiSettingsDocument,
    testVariables: (wasabi) => ({ provider: 'WASABI', wasabi }),
  },
};
