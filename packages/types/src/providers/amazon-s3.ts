import { blank, bucketField, checkUrl, defineProvider, generalFields, keyPrefixField, problemCollector, publicUrlField, type FieldSpec } from '../catalog.js';
import { accessKeyFields, checkRegion, checkS3Common, pathStyleField, s3Credentials, S3_WRITE_DENIED } from './s3-family.js';

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
  validate(s) {
    const { problems, add } = problemCollector(fields);
    checkS3Common(s, add);
    add('region', checkRegion(String(s.region ?? '')));
    add('endpoint', checkUrl(String(s.endpoint ?? '')));
    return problems;
  },
  // Blank: the SDK's AWS endpoint for the region.
  endpoint: (s) => (s.endpoint as string) || undefined,
  connection: (s) => ({ driver: 's3', endpoint: (s.endpoint as string) || undefined, region: String(s.region || 'us-east-1'), ...s3Credentials(s) }),
  writeDeniedAdvice: S3_WRITE_DENIED,
});
