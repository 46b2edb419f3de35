import {
  blank,
  bucketField,
  checkUrl,
  defineProvider,
  generalFields,
  keyPrefixField,
  problemCollector,
  publicUrlField,
  type FieldSpec,
  type ProviderSettings,
} from '../catalog.js';
import { accessKeyFields, checkRegion, checkS3Common, pathStyleField, s3Credentials, S3_WRITE_DENIED } from './s3-family.js';

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
  validate(s) {
    const { problems, add } = problemCollector(fields);
    checkS3Common(s, add);
    add('region', checkRegion(String(s.region ?? '')));
    add('endpoint', checkUrl(String(s.endpoint ?? '')));
    return problems;
  },
  endpoint,
  connection: (s) => ({ driver: 's3', endpoint: endpoint(s), region: String(s.region || 'us-east-1'), ...s3Credentials(s) }),
  writeDeniedAdvice: S3_WRITE_DENIED,
});
