import {
  LOCAL_STORAGE,
  normalizeKeyPrefix,
  type FieldSpec,
  type StoragePlace,
  type ProviderSettings,
  type ProviderSpec,
  type SettingValue,
} from '../catalog.js';
import { amazonS3 } from './amazon-s3.js';
import { cloudflareR2 } from './cloudflare-r2.js';
import { googleCloudStorage } from './google-cloud-storage.js';
import { wasabi } from './wasabi.js';

/**
 * The provider registry: adding a storage provider is adding its file beside this one and one
 * entry here. The plugin cards, settings screens, GraphQL enums, Default Storage list and
 * drivers all come from this list.
 */
const REGISTRY = [cloudflareR2, amazonS3, wasabi, googleCloudStorage] as const;

export type ProviderKey = (typeof REGISTRY)[number]['key'];
export const PROVIDER_KEYS = REGISTRY.map((p) => p.key) as readonly ProviderKey[];
export const PROVIDERS = Object.fromEntries(REGISTRY.map((p) => [p.key, p])) as unknown as Record<ProviderKey, ProviderSpec<ProviderKey>>;
export const isProviderKey = (value: string): value is ProviderKey => (PROVIDER_KEYS as readonly string[]).includes(value);

/** Where a result can live: this server's results disk, or a provider's bucket. */
export const STORAGE_KEYS = [LOCAL_STORAGE, ...PROVIDER_KEYS] as readonly [typeof LOCAL_STORAGE, ...ProviderKey[]];
export type StorageKey = typeof LOCAL_STORAGE | ProviderKey;

/** A provider's settings with nothing entered: '' for text, false for switches. */
export function emptySettings(provider: ProviderKey): ProviderSettings {
  return Object.fromEntries(PROVIDERS[provider].fields.map((f: FieldSpec) => [f.name, f.kind === 'boolean' ? false : ''])) as ProviderSettings;
}

export const fieldOf = (provider: ProviderKey, name: string): FieldSpec | undefined => PROVIDERS[provider].fields.find((f) => f.name === name);

/** "Access Key ID, Bucket and Account ID (or a Custom Endpoint)". */
export function describeMissing(provider: ProviderKey, fields: string[]): string {
  const spec = PROVIDERS[provider];
  const names = fields.map((f) => spec.missingLabels?.[f] ?? fieldOf(provider, f)?.label ?? f);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The trimmed, normalised form of typed settings: URLs without a trailing slash, the key prefix as a folder. */
export function cleanSettings(provider: ProviderKey, s: ProviderSettings): ProviderSettings {
  const cleaned: Record<string, SettingValue> = { ...s };
  for (const field of PROVIDERS[provider].fields) {
    const value = s[field.name];
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    cleaned[field.name] = field.kind === 'url' ? trimmed.replace(/\/+$/, '') : field.name === 'keyPrefix' ? normalizeKeyPrefix(trimmed).prefix : trimmed;
  }
  return cleaned as ProviderSettings;
}

/**
 * Where these settings put results: a change of bucket, account or endpoint is a new place (a
 * new storage location); new credentials or a new Public / CDN URL for the same one are not.
 */
export function placeOf(provider: ProviderKey, s: ProviderSettings): StoragePlace {
  const spec = PROVIDERS[provider];
  const endpoint = (spec.endpoint(s) ?? '').replace(/\/+$/, '');
  const bucket = String(s.bucket ?? '');
  const connection = spec.connection(s);
  // A GCS bucket's location is the bucket's own (not part of how it is reached).
  const region = connection.driver === 's3' ? connection.region : '';
  return { provider, endpoint, bucket, region, identity: `${provider} ${endpoint.toLowerCase()} ${bucket}` };
}
