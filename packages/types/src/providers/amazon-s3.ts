import { blank, bucketField, defineProvider, generalFields, keyPrefixField, publicUrlField, type FieldSpec } from '../catalog.js';
import { accessKeyFields, pathStyleField, regionalConnection, S3_WRITE_DENIED, validateRegional, S3_CREDENTIALS } from './s3-family.js';

const fields: FieldSpec[] = [
  ...generalFields('Amazon S3'),
  ...accessKeyFields('IAM access key'),
  { name: 'region', label: 'Region', kind: 'text', section: 'credentials', showsEndpoint: true, help: 'The bucket’s region, e.g. us-east-1.' },
  bucketField,
  {
    name: 'endpoint',
    label: 'Endpoint',
    kind: 'url',
    section: 'advanced',
    showsEndpoint: true,
    help: 'Optional. Leave blank for AWS; set it for S3-compatible stores.',
  },
  publicUrlField,
  keyPrefixField,
  pathStyleField,
];

export const amazonS3 = defineProvider({
  key: 'amazon-s3',
  label: 'Amazon S3',
  pluginName: 'Amazon S3 Storage',
  description: 'Offload results to Amazon S3 or any S3-compatible store (DigitalOcean Spaces, MinIO, …).',
  pricing: 'PAID',
  freeForExtendedLicense: true,
  fields,
  missing: (s) => blank(s, ['accessKeyId', 'secretAccessKey', 'region', 'bucket']),
  validate: validateRegional(fields),
  // Blank: the SDK's AWS endpoint for the region.
  endpoint: (s) => (s.endpoint as string) || undefined,
  connection: (s) => regionalConnection(s, (s.endpoint as string) || undefined),
  writeDeniedAdvice: S3_WRITE_DENIED,
  publicUrlHint: 'a bucket policy that lets anyone read, or a CloudFront distribution',
  credentials: S3_CREDENTIALS,
});
