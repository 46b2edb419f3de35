import { checkCommon, checkUrl, problemCollector, type FieldProblem, type FieldSpec, type ProviderSettings, type S3Connection } from '../catalog.js';

/** What the providers on the S3 API share: an access key pair and path-style addressing. */

const TOKEN = /^[\x21-\x7e]+$/;

export const accessKeyFields = (from: string): FieldSpec[] => [
  { name: 'accessKeyId', label: 'Access Key ID', kind: 'text', section: 'credentials', help: `From your ${from}.` },
  {
    name: 'secretAccessKey',
    label: 'Secret Access Key',
    kind: 'secret',
    section: 'credentials',
    help: `From your ${from}. Stored encrypted and never shown again; leave blank on later edits to keep the stored one.`,
  },
];

/** The credentials of every provider on the S3 API. */
export const S3_CREDENTIALS = ['accessKeyId', 'secretAccessKey'] as const;

export const pathStyleField: FieldSpec = {
  name: 'usePathStyleEndpoint',
  label: 'Use path-style endpoint',
  kind: 'boolean',
  section: 'advanced',
  help: 'Off works for standard buckets. Turn on only if your endpoint needs path-style addressing (e.g. MinIO).',
};

/** Access key, secret and the common settings. */
export function checkS3Common(s: ProviderSettings, add: (field: string, message: string | null) => void): void {
  const accessKeyId = String(s.accessKeyId ?? '');
  const secretAccessKey = String(s.secretAccessKey ?? '');
  add('accessKeyId', accessKeyId && (!TOKEN.test(accessKeyId) || accessKeyId.length > 128) ? 'must be up to 128 visible characters, without spaces' : null);
  add(
    'secretAccessKey',
    secretAccessKey && (!TOKEN.test(secretAccessKey) || secretAccessKey.length > 256) ? 'must be up to 256 visible characters, without spaces' : null,
  );
  checkCommon(s, add);
}

export const checkRegion = (region: string) => (region && !/^[a-z0-9-]{2,32}$/.test(region) ? 'must look like us-east-1' : null);

export const s3Credentials = (s: ProviderSettings) => ({
  accessKeyId: String(s.accessKeyId ?? ''),
  secretAccessKey: String(s.secretAccessKey ?? ''),
  forcePathStyle: Boolean(s.usePathStyleEndpoint),
});

/** The checks of a provider with a Region and an optional Endpoint (Amazon S3, Wasabi). */
export const validateRegional =
  (fields: FieldSpec[]) =>
  (s: ProviderSettings): FieldProblem[] => {
    const { problems, add } = problemCollector(fields);
    checkS3Common(s, add);
    add('region', checkRegion(String(s.region ?? '')));
    add('endpoint', checkUrl(String(s.endpoint ?? '')));
    return problems;
  };

/** An S3 connection in the settings' region (us-east-1 until one is set) at `endpoint`. */
export const regionalConnection = (s: ProviderSettings, endpoint: string | undefined): S3Connection => ({
  driver: 's3',
  endpoint,
  region: String(s.region || 'us-east-1'),
  ...s3Credentials(s),
});

export const S3_WRITE_DENIED = 'Give the key permission to put, get and delete objects in the bucket.';
