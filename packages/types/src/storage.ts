/**
 * The storage provider catalog, settings shapes and validation rules, shared by the server
 * (which enforces them) and the admin SPA (which shows them as you type).
 */

export const LOCAL_STORAGE = 'local';
export const LOCAL_STORAGE_LABEL = 'Local server (this machine)';

export const PROVIDER_KEYS = ['cloudflare-r2', 'amazon-s3', 'wasabi'] as const;
export type ProviderKey = (typeof PROVIDER_KEYS)[number];
export const isProviderKey = (value: string): value is ProviderKey => (PROVIDER_KEYS as readonly string[]).includes(value);

/** Where a result can live: this server's results disk, or a provider's bucket. */
export const STORAGE_KEYS = [LOCAL_STORAGE, ...PROVIDER_KEYS] as const;
export type StorageKey = (typeof STORAGE_KEYS)[number];

/** Every provider's settings, as stored (encrypted) and edited. Absent strings are ''. */
export interface ProviderSettings {
  enabled: boolean;
  deleteLocalCopy: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  publicUrl: string;
  keyPrefix: string;
  usePathStyleEndpoint: boolean;
  /** Cloudflare R2 only: derives the endpoint when customEndpoint is blank. */
  accountId: string;
  /** Cloudflare R2: overrides the derived endpoint. */
  customEndpoint: string;
  /** Amazon S3 and Wasabi. */
  region: string;
  /** Amazon S3 (blank = AWS) and Wasabi (blank = derived from the region). */
  endpoint: string;
}

export type SettingsField = keyof ProviderSettings;

export const EMPTY_SETTINGS: ProviderSettings = {
  enabled: false,
  deleteLocalCopy: false,
  accessKeyId: '',
  secretAccessKey: '',
  bucket: '',
  publicUrl: '',
  keyPrefix: '',
  usePathStyleEndpoint: false,
  accountId: '',
  customEndpoint: '',
  region: '',
  endpoint: '',
};

export const PRICINGS = ['PAID', 'FREE'] as const;
export type Pricing = (typeof PRICINGS)[number];

/** What a plugin card's button does, given the license and purchases. */
export const PLUGIN_ACTIONS = ['INSTALL', 'PURCHASE', 'UNINSTALL'] as const;
export type PluginAction = (typeof PLUGIN_ACTIONS)[number];

/** The steps of Test connection, in order. */
export const CONNECTION_TEST_STEPS = ['CONFIGURATION', 'UPLOAD', 'READ_BACK', 'PUBLIC_URL', 'DELETE'] as const;
export type ConnectionTestStep = (typeof CONNECTION_TEST_STEPS)[number];

export interface ConnectionTestResult {
  ok: boolean;
  /** The step that failed; null on success. */
  step: ConnectionTestStep | null;
  /** A storage error code (INVALID_CREDENTIALS, BUCKET_NOT_FOUND, …) or INCOMPLETE_CONFIGURATION. */
  code: string | null;
  message: string;
  /** Problems that do not stop offloading but will bite later (e.g. the Public / CDN URL). */
  warnings: string[];
  durationMs: number;
}

export interface FieldSpec {
  name: SettingsField;
  label: string;
  help: string;
  kind: 'text' | 'secret' | 'url' | 'boolean';
  section: 'general' | 'credentials' | 'advanced';
}

export interface ProviderSpec {
  key: ProviderKey;
  /** As in the Default Storage list. */
  label: string;
  pluginName: string;
  description: string;
  pricing: Pricing;
  /** Paid plugins that Extended License holders install without a purchase. */
  freeForExtendedLicense: boolean;
  fields: FieldSpec[];
}

const general = (label: string): FieldSpec[] => [
  { name: 'enabled', label: `Enable ${label}`, kind: 'boolean', section: 'general', help: `Makes ${label} selectable as Default Storage once the required fields are filled in. It does not route uploads by itself: you still pick the active storage in General Settings.` },
  { name: 'deleteLocalCopy', label: 'Delete local copy after upload', kind: 'boolean', section: 'general', help: 'Removes the local file once its upload is verified, reclaiming server disk. Leave off to keep a local backup of every result.' },
];

const common = {
  accessKeyId: (from: string): FieldSpec => ({ name: 'accessKeyId', label: 'Access Key ID', kind: 'text', section: 'credentials', help: `From your ${from}.` }),
  secretAccessKey: (from: string): FieldSpec => ({ name: 'secretAccessKey', label: 'Secret Access Key', kind: 'secret', section: 'credentials', help: `From your ${from}. Stored encrypted and never shown again; leave blank on later edits to keep the stored one.` }),
  bucket: { name: 'bucket', label: 'Bucket', kind: 'text', section: 'credentials', help: 'The bucket name.' } satisfies FieldSpec,
  publicUrl: { name: 'publicUrl', label: 'Public / CDN URL', kind: 'url', section: 'advanced', help: 'The base URL files are served from (a public bucket domain or a CDN). Required for results to be publicly viewable; without it results are served through short-lived signed links.' } satisfies FieldSpec,
  keyPrefix: { name: 'keyPrefix', label: 'Key Prefix', kind: 'text', section: 'advanced', help: 'Optional folder inside the bucket (e.g. magicads), prepended to every object key.' } satisfies FieldSpec,
  pathStyle: { name: 'usePathStyleEndpoint', label: 'Use path-style endpoint', kind: 'boolean', section: 'advanced', help: 'Off works for standard buckets. Turn on only if your endpoint needs path-style addressing (e.g. MinIO).' } satisfies FieldSpec,
};

export const PROVIDERS: Record<ProviderKey, ProviderSpec> = {
  'cloudflare-r2': {
    key: 'cloudflare-r2',
    label: 'Cloudflare R2',
    pluginName: 'Cloudflare R2 Storage',
    description: 'Offload results to your own Cloudflare R2 bucket — S3-compatible, with no egress fees.',
    pricing: 'PAID',
    freeForExtendedLicense: true,
    fields: [
      ...general('Cloudflare R2'),
      common.accessKeyId('R2 API token'),
      common.secretAccessKey('R2 API token'),
      { name: 'accountId', label: 'Account ID', kind: 'text', section: 'credentials', help: 'Your Cloudflare account id, used to derive the endpoint https://<account id>.r2.cloudflarestorage.com when Custom Endpoint is blank.' },
      common.bucket,
      { name: 'customEndpoint', label: 'Custom Endpoint', kind: 'url', section: 'advanced', help: 'Optional. Leave blank to derive it from your Account ID.' },
      common.publicUrl,
      common.keyPrefix,
      common.pathStyle,
    ],
  },
  'amazon-s3': {
    key: 'amazon-s3',
    label: 'Amazon S3',
    pluginName: 'Amazon S3 Storage',
    description: 'Offload results to Amazon S3 or any S3-compatible store (DigitalOcean Spaces, MinIO, …).',
    pricing: 'PAID',
    freeForExtendedLicense: true,
    fields: [
      ...general('Amazon S3'),
      common.accessKeyId('IAM access key'),
      common.secretAccessKey('IAM access key'),
      { name: 'region', label: 'Region', kind: 'text', section: 'credentials', help: 'The bucket’s region, e.g. us-east-1.' },
      common.bucket,
      { name: 'endpoint', label: 'Endpoint', kind: 'url', section: 'advanced', help: 'Optional. Leave blank for AWS; set it for S3-compatible stores.' },
      common.publicUrl,
      common.keyPrefix,
      common.pathStyle,
    ],
  },
  wasabi: {
    key: 'wasabi',
    label: 'Wasabi',
    pluginName: 'Wasabi Storage',
    description: 'Offload results to Wasabi hot cloud storage.',
    pricing: 'FREE',
    freeForExtendedLicense: false,
    fields: [
      ...general('Wasabi'),
      common.accessKeyId('Wasabi access key'),
      common.secretAccessKey('Wasabi access key'),
      { name: 'region', label: 'Region', kind: 'text', section: 'credentials', help: 'The bucket’s region, e.g. us-east-1; it derives the endpoint https://s3.<region>.wasabisys.com.' },
      common.bucket,
      { name: 'endpoint', label: 'Endpoint', kind: 'url', section: 'advanced', help: 'Optional. Leave blank to derive it from the region.' },
      common.publicUrl,
      common.keyPrefix,
      common.pathStyle,
    ],
  },
};

export const fieldLabel = (provider: ProviderKey, field: SettingsField) => PROVIDERS[provider].fields.find((f) => f.name === field)?.label ?? field;

/** The fields a provider still needs before it can be enabled, in form order. */
export function missingFields(provider: ProviderKey, s: ProviderSettings): SettingsField[] {
  const missing: SettingsField[] = [];
  if (!s.accessKeyId) missing.push('accessKeyId');
  if (!s.secretAccessKey) missing.push('secretAccessKey');
  if (provider === 'cloudflare-r2' && !s.accountId && !s.customEndpoint) missing.push('accountId');
  if (provider !== 'cloudflare-r2' && !s.region) missing.push('region');
  if (!s.bucket) missing.push('bucket');
  return missing;
}

/** "Access Key ID, Bucket and Account ID (or a Custom Endpoint)". */
export function describeMissing(provider: ProviderKey, fields: SettingsField[]): string {
  const names = fields.map((f) => (provider === 'cloudflare-r2' && f === 'accountId' ? 'Account ID (or a Custom Endpoint)' : fieldLabel(provider, f)));
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The S3 endpoint actually used; undefined means the SDK's AWS default. */
export function effectiveEndpoint(provider: ProviderKey, s: Pick<ProviderSettings, 'accountId' | 'customEndpoint' | 'region' | 'endpoint'>): string | undefined {
  if (provider === 'cloudflare-r2') return s.customEndpoint || (s.accountId ? `https://${s.accountId}.r2.cloudflarestorage.com` : undefined);
  if (provider === 'wasabi') return s.endpoint || (s.region ? `https://s3.${s.region}.wasabisys.com` : undefined);
  return s.endpoint || undefined;
}

export const effectiveRegion = (provider: ProviderKey, s: Pick<ProviderSettings, 'region'>) => (provider === 'cloudflare-r2' ? 'auto' : s.region);

// ---------------------------------------------------------------- validation

/** One problem with one field, worded for the person who typed it. */
export interface FieldProblem {
  field: SettingsField;
  message: string;
}

/** Null when valid; otherwise what is wrong. Blank values are always valid here (see missingFields). */
export function checkUrl(value: string): string | null {
  if (!value) return null;
  if (value.length > 2048) return 'must be at most 2048 characters';
  if (!URL.canParse(value)) return 'must be a full URL such as https://media.example.com';
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// (or http://)';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.search || url.hash) return 'must not contain a query (?…) or fragment (#…)';
  return null;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** S3 bucket naming rules (R2 and Wasabi follow them too). */
export function checkBucket(value: string): string | null {
  if (!value) return null;
  if (value.length < 3 || value.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(value)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(value) || !/[a-z0-9]$/.test(value)) return 'must start and end with a letter or digit';
  if (value.includes('..') || value.includes('.-') || value.includes('-.')) return 'must not contain two dots in a row, or a dot next to a hyphen';
  if (IPV4.test(value)) return 'must not look like an IP address';
  return null;
}

/**
 * Key prefixes are folders: no leading/trailing or doubled slashes (normalised away), no `.`
 * or `..` segments, no backslashes or control characters, at most 512 bytes.
 */
export function normalizeKeyPrefix(value: string): { prefix: string; problem: string | null } {
  const prefix = value.trim().replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
  if (!prefix) return { prefix: '', problem: null };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(prefix)) return { prefix, problem: 'must not contain backslashes or control characters' };
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) return { prefix, problem: 'must not contain "." or ".." folders' };
  if (new TextEncoder().encode(prefix).length > 512) return { prefix, problem: 'must be at most 512 bytes' };
  return { prefix, problem: null };
}

const TOKEN = /^[\x21-\x7e]+$/;

/** Checks every field of a settings value; the provider decides which fields apply. */
export function validateSettings(provider: ProviderKey, s: ProviderSettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: SettingsField, message: string | null) => message && problems.push({ field, message: `${fieldLabel(provider, field)} ${message}` });
  add('accessKeyId', s.accessKeyId && (!TOKEN.test(s.accessKeyId) || s.accessKeyId.length > 128) ? 'must be up to 128 visible characters, without spaces' : null);
  add('secretAccessKey', s.secretAccessKey && (!TOKEN.test(s.secretAccessKey) || s.secretAccessKey.length > 256) ? 'must be up to 256 visible characters, without spaces' : null);
  add('bucket', checkBucket(s.bucket));
  add('publicUrl', checkUrl(s.publicUrl));
  add('keyPrefix', normalizeKeyPrefix(s.keyPrefix).problem);
  if (provider === 'cloudflare-r2') {
    add('accountId', s.accountId && !/^[0-9a-f]{32}$/i.test(s.accountId) ? 'must be the 32-character hexadecimal id shown on your R2 overview page' : null);
    add('customEndpoint', checkUrl(s.customEndpoint));
  } else {
    add('region', s.region && !/^[a-z0-9-]{2,32}$/.test(s.region) ? 'must look like us-east-1' : null);
    add('endpoint', checkUrl(s.endpoint));
  }
  return problems;
}
