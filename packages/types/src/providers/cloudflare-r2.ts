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
import { accessKeyFields, checkS3Common, pathStyleField, s3Credentials, S3_CREDENTIALS } from './s3-family.js';

const fields: FieldSpec[] = [
  ...generalFields('Cloudflare R2'),
  ...accessKeyFields('R2 API token'),
  {
    name: 'accountId',
    label: 'Account ID',
    kind: 'text',
    section: 'credentials',
    showsEndpoint: true,
    help: 'Your Cloudflare account id, used to derive the endpoint https://<account id>.r2.cloudflarestorage.com when Custom Endpoint is blank.',
  },
  bucketField,
  {
    name: 'customEndpoint',
    label: 'Custom Endpoint',
    kind: 'url',
    section: 'advanced',
    showsEndpoint: true,
    help: 'Optional. Leave blank to derive it from your Account ID.',
  },
  publicUrlField,
  keyPrefixField,
  pathStyleField,
];

const endpoint = (s: ProviderSettings) => (s.customEndpoint as string) || (s.accountId ? `https://${s.accountId}.r2.cloudflarestorage.com` : undefined);

export const cloudflareR2 = defineProvider({
  key: 'cloudflare-r2',
  label: 'Cloudflare R2',
  pluginName: 'Cloudflare R2 Storage',
  description: 'Offload results to your own Cloudflare R2 bucket — S3-compatible, with no egress fees.',
  pricing: 'PAID',
  freeForExtendedLicense: true,
  fields,
  missing: (s) => blank(s, ['accessKeyId', 'secretAccessKey', ...(s.accountId || s.customEndpoint ? [] : ['accountId']), 'bucket']),
  missingLabels: { accountId: 'Account ID (or a Custom Endpoint)' },
  validate(s) {
    const { problems, add } = problemCollector(fields);
    checkS3Common(s, add);
    add(
      'accountId',
      s.accountId && !/^[0-9a-f]{32}$/i.test(String(s.accountId)) ? 'must be the 32-character hexadecimal id shown on your R2 overview page' : null,
    );
    add('customEndpoint', checkUrl(String(s.customEndpoint ?? '')));
    return problems;
  },
  endpoint,
  // Region is always "auto" on R2 (there is no region field).
  connection: (s) => ({ driver: 's3', endpoint: endpoint(s), region: 'auto', ...s3Credentials(s) }),
  writeDeniedAdvice: 'Give the API token Object Read & Write on the bucket.',
  publicUrlHint: 'the bucket’s r2.dev domain or a custom domain',
  credentials: S3_CREDENTIALS,
});
