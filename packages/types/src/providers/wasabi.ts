import { blank, bucketField, defineProvider, generalFields, keyPrefixField, publicUrlField, type FieldSpec, type ProviderSettings } from '../catalog.js';
import { accessKeyFields, pathStyleField, regionalConnection, S3_WRITE_DENIED, validateRegional, S3_CREDENTIALS } from './s3-family.js';

const fields: FieldSpec[] = [
  ...generalFields('Wasabi'),
  ...accessKeyFields('Wasabi access key'),
  {
    name: 'region',
    label: 'Region',
    kind: 'text',
    section: 'credentials',
    showsEndpoint: true,
    help: 'The bucket’s region, e.g. us-east-1; it derives the endpoint https://s3.<region>.wasabisys.com.',
  },
  bucketField,
  { name: 'endpoint', label: 'Endpoint', kind: 'url', section: 'advanced', showsEndpoint: true, help: 'Optional. Leave blank to derive it from the region.' },
  publicUrlField,
  keyPrefixField,
  pathStyleField,
];

const endpoint = (s: ProviderSettings) => (s.endpoint as string) || (s.region ? `https://s3.${s.region}.wasabisys.com` : undefined);

export const wasabi = defineProvider({
  key: 'wasabi',
  label: 'Wasabi',
  pluginName: 'Wasabi Storage',
  description: 'Offload results to Wasabi hot cloud storage.',
  pricing: 'FREE',
  freeForExtendedLicense: false,
  fields,
  missing: (s) => blank(s, ['accessKeyId', 'secretAccessKey', 'region', 'bucket']),
  validate: validateRegional(fields),
  endpoint,
  connection: (s) => regionalConnection(s, endpoint(s)),
  writeDeniedAdvice: S3_WRITE_DENIED,
  publicUrlHint: 'a bucket policy that lets anyone read, or a CDN in front of the bucket',
  credentials: S3_CREDENTIALS,
});
