/**
 * What a storage provider is, as data both the server (which enforces it) and the admin SPA
 * (which shows it as you type) read: its plugin card, its settings form, its rules, and how the
 * server reaches its bucket. Each provider is one file in providers/, listed once in
 * providers/index.ts; nothing else names a provider.
 */

export const LOCAL_STORAGE = 'local';
export const LOCAL_STORAGE_LABEL = 'Local server (this machine)';

/** A value's name in a GraphQL enum: `cloudflare-r2` → CLOUDFLARE_R2, `creatives:read` → CREATIVES_READ. */
export const graphqlEnumName = (value: string) => value.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

export const PRICINGS = ['PAID', 'FREE'] as const;
export type Pricing = (typeof PRICINGS)[number];

export type SettingValue = string | boolean;

/** The settings every provider has. */
export interface CommonSettings {
  enabled: boolean;
  deleteLocalCopy: boolean;
  bucket: string;
  publicUrl: string;
  keyPrefix: string;
}

/** One provider's settings, as stored (encrypted) and edited: the common ones and its own fields, by name. Absent strings are ''. */
export type ProviderSettings = CommonSettings & Record<string, SettingValue>;

export interface FieldSpec {
  name: string;
  label: string;
  help: string;
  /** `secret`: write-only, never returned; a blank value on save keeps the stored one. */
  kind: 'text' | 'secret' | 'url' | 'boolean';
  section: 'general' | 'credentials' | 'advanced';
  /** The form shows the endpoint in use under this field (it derives it). */
  showsEndpoint?: boolean;
  /** A multi-line value (a key file) that may also be uploaded from a file of this type, e.g. `.json`. */
  file?: { accept: string };
}

/** One problem with one field, worded for the person who typed it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** How the server reaches an S3-compatible bucket (one S3 driver, many presets). */
export interface S3Connection {
  driver: 's3';
  /** Undefined: the SDK's AWS endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** How the server reaches a Google Cloud Storage bucket: the JSON API, authenticated by a service-account key. */
export interface GcsConnection {
  driver: 'gcs';
  /** The JSON API's base URL (https://storage.googleapis.com unless set). */
  endpoint: string;
  projectId: string;
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
}

export type BucketConnection = S3Connection | GcsConnection;

export interface ProviderSpec<K extends string = string> {
  key: K;
  /** As in the Default Storage list. */
  label: string;
  pluginName: string;
  description: string;
  pricing: Pricing;
  /** Paid plugins that Extended License holders install without a purchase. */
  freeForExtendedLicense: boolean;
  /** The settings form, in order (the common settings included). */
  fields: FieldSpec[];
  /** The fields still needed before it can be enabled, in form order. */
  missing(s: ProviderSettings): string[];
  /** How a missing field is named where the plain label would mislead (R2: "Account ID (or a Custom Endpoint)"). */
  missingLabels?: Record<string, string>;
  /** Every problem with the values as typed; blank values are checked by `missing`, not here. */
  validate(s: ProviderSettings): FieldProblem[];
  /** The endpoint in use, derived where the settings leave it blank. */
  endpoint(s: ProviderSettings): string | undefined;
  /** How the server reaches the bucket with these settings. */
  connection(s: ProviderSettings): BucketConnection;
  /** Test connection's advice when the key may not write to the bucket. */
  writeDeniedAdvice: string;
  /** Where a public URL for this provider's bucket comes from, for Test connection's advice ("an r2.dev or custom domain"). */
  publicUrlHint: string;
  /** The fields that are credentials rather than the place: a key rotation changes only these (and a retired location's may be replaced). */
  credentials: readonly string[];
}

/**
 * The concrete place a provider's settings point at. Two settings with the same identity
 * reach the same bucket (provider, effective endpoint, bucket); anything else — credentials,
 * region of an AWS bucket, Public / CDN URL, key prefix — is how it is reached or served.
 */
export interface StoragePlace {
  provider: string;
  /** The effective endpoint; '' where the SDK derives it (Amazon S3 without an Endpoint). */
  endpoint: string;
  bucket: string;
  region: string;
  identity: string;
}

/** A provider's spec with its key as a literal type, so the registry can derive ProviderKey. */
export const defineProvider = <const K extends string>(spec: ProviderSpec<K>): ProviderSpec<K> => spec;

// ---------------------------------------------------------------- fields every provider has

export const generalFields = (label: string): FieldSpec[] => [
  {
    name: 'enabled',
    label: `Enable ${label}`,
    kind: 'boolean',
    section: 'general',
    help:
      `Makes ${label} selectable as Default Storage once the required fields are filled in. It does not route uploads by itself: you still pick ` +
      `the active storage in General Settings.`,
  },
  {
    name: 'deleteLocalCopy',
    label: 'Delete local copy after upload',
    kind: 'boolean',
    section: 'general',
    help: 'Removes the local file once its upload is verified, reclaiming server disk. Leave off to keep a local backup of every result.',
  },
];

export const bucketField: FieldSpec = { name: 'bucket', label: 'Bucket', kind: 'text', section: 'credentials', help: 'The bucket name.' };
export const publicUrlField: FieldSpec = {
  name: 'publicUrl',
  label: 'Public / CDN URL',
  kind: 'url',
  section: 'advanced',
  help:
    'The base URL files are served from (a public bucket domain or a CDN). Required for results to be publicly viewable; without it results are ' +
    'served through short-lived signed links.',
};
export const keyPrefixField: FieldSpec = {
  name: 'keyPrefix',
  label: 'Key Prefix',
  kind: 'text',
  section: 'advanced',
  help: 'Optional folder inside the bucket (e.g. magicads), prepended to every object key.',
};

// ---------------------------------------------------------------- checks shared by providers

/** Null when valid; otherwise what is wrong. Blank values are always valid here (see `missing`). */
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

/** S3 bucket naming rules (R2 and Wasabi follow them too; Google Cloud Storage's are these for names without dots). */
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
  const prefix = value
    .trim()
    .replace(/\/{2,}/g, '/')
    .replace(/^\/+|\/+$/g, '');
  if (!prefix) return { prefix: '', problem: null };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(prefix)) return { prefix, problem: 'must not contain backslashes or control characters' };
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) return { prefix, problem: 'must not contain "." or ".." folders' };
  if (new TextEncoder().encode(prefix).length > 512) return { prefix, problem: 'must be at most 512 bytes' };
  return { prefix, problem: null };
}

/** A checker that names the field by its label: `problem(field, message)`. */
export function problemCollector(fields: FieldSpec[]) {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string | null) => {
    if (message) problems.push({ field, message: `${fields.find((f) => f.name === field)?.label ?? field} ${message}` });
  };
  return { problems, add };
}

/** The checks of the settings every provider has. */
export function checkCommon(s: ProviderSettings, add: (field: string, message: string | null) => void): void {
  add('bucket', checkBucket(s.bucket));
  add('publicUrl', checkUrl(s.publicUrl));
  add('keyPrefix', normalizeKeyPrefix(s.keyPrefix).problem);
}

/** The fields of `required` that are blank, in the order given. */
export const blank = (s: ProviderSettings, required: string[]) => required.filter((field) => !s[field]);
