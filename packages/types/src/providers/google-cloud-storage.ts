import {
  blank,
  checkUrl,
  defineProvider,
  generalFields,
  keyPrefixField,
  normalizeKeyPrefix,
  problemCollector,
  publicUrlField,
  type FieldSpec,
  type GcsConnection,
  type ProviderSettings,
} from '../catalog.js';
import { parseServiceAccountKey } from './service-account-key.js';

export const GCS_API_ENDPOINT = 'https://storage.googleapis.com';

const fields: FieldSpec[] = [
  ...generalFields('Google Cloud Storage'),
  {
    name: 'serviceAccountKey',
    label: 'Service account key',
    kind: 'secret',
    section: 'credentials',
    file: { accept: '.json,application/json' },
    help:
      'The JSON key of a service account with Storage Object Admin on the bucket (IAM → Service accounts → Keys → Add key → JSON): paste it or ' +
      'upload the file. Stored encrypted and never shown again; leave blank on later edits to keep the stored key.',
  },
  {
    name: 'bucket',
    label: 'Bucket',
    kind: 'text',
    section: 'credentials',
    help: 'The bucket name. Use a bucket with uniform bucket-level access: Offload never sends object ACLs.',
  },
  {
    name: 'projectId',
    label: 'Project ID',
    kind: 'text',
    section: 'advanced',
    help: 'Optional. Taken from the key (its project_id) unless set.',
  },
  {
    name: 'apiEndpoint',
    label: 'API Endpoint',
    kind: 'url',
    section: 'advanced',
    showsEndpoint: true,
    help: `Optional. Leave blank for Google Cloud (${GCS_API_ENDPOINT}); set it for a private or regional endpoint.`,
  },
  {
    ...publicUrlField,
    help:
      'The base URL files are served from. For a public bucket (allUsers may view objects) use https://storage.googleapis.com/<bucket>, or your ' +
      'CDN’s domain. Leave blank for a private bucket: results are then served through short-lived V4 signed links.',
  },
  keyPrefixField,
];

const endpoint = (s: ProviderSettings) => String(s.apiEndpoint || GCS_API_ENDPOINT);

/**
 * Google Cloud Storage's bucket names: 3–63 characters (up to 222 with dots, each dot-separated
 * part at most 63), lowercase letters, digits, dashes, underscores and dots, starting and ending
 * with a letter or digit, never starting with "goog" or containing "google".
 */
function checkGcsBucket(value: string): string | null {
  if (!value) return null;
  const limit = value.includes('.') ? 222 : 63;
  if (value.length < 3 || value.length > limit) return `must be 3 to ${limit} characters long`;
  if (!/^[a-z0-9._-]+$/.test(value)) return 'may contain only lowercase letters, digits, dashes, underscores and dots';
  if (!/^[a-z0-9]/.test(value) || !/[a-z0-9]$/.test(value)) return 'must start and end with a letter or digit';
  if (value.split('.').some((part) => part.length === 0 || part.length > 63)) return 'must not have empty or longer than 63-character parts between dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return 'must not look like an IP address';
  if (value.startsWith('goog') || /g[o0][o0]gle/.test(value)) return 'must not start with "goog" or contain "google"';
  return null;
}

const PROJECT_ID = /^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export const googleCloudStorage = defineProvider({
  key: 'google-cloud-storage',
  label: 'Google Cloud Storage',
  pluginName: 'Google Cloud Storage',
  description: 'Offload results to a Google Cloud Storage bucket, through its native API, with a service-account key.',
  pricing: 'PAID',
  freeForExtendedLicense: true,
  fields,
  missing: (s) => blank(s, ['serviceAccountKey', 'bucket']),
  validate(s) {
    const { problems, add } = problemCollector(fields);
    const key = String(s.serviceAccountKey ?? '');
    add('serviceAccountKey', key ? parseServiceAccountKey(key).problem : null);
    add('bucket', checkGcsBucket(s.bucket));
    add('projectId', s.projectId && !PROJECT_ID.test(String(s.projectId)) ? 'must be a project ID such as my-project-123456' : null);
    add('apiEndpoint', checkUrl(String(s.apiEndpoint ?? '')));
    add('publicUrl', checkUrl(s.publicUrl));
    add('keyPrefix', normalizeKeyPrefix(s.keyPrefix).problem);
    return problems;
  },
  endpoint,
  connection(s): GcsConnection {
    // Settings reach here validated; an unreadable key gives empty credentials, which the token endpoint refuses.
    const key = parseServiceAccountKey(String(s.serviceAccountKey ?? '')).key;
    return {
      driver: 'gcs',
      endpoint: endpoint(s),
      projectId: String(s.projectId || key?.project_id || ''),
      clientEmail: key?.client_email ?? '',
      privateKey: key?.private_key ?? '',
      tokenUri: key?.token_uri ?? '',
    };
  },
  writeDeniedAdvice: 'Grant the service account Storage Object Admin (roles/storage.objectAdmin) on the bucket: it creates, reads and deletes objects.',
  publicUrlHint: 'https://storage.googleapis.com/<bucket> once allUsers may view its objects, or a CDN',
  credentials: ['serviceAccountKey'],
});
