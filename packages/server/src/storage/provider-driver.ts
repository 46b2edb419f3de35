import { isIP } from 'node:net';
import { effectiveEndpoint, effectiveRegion, type ProviderKey, type ProviderSettings } from '@offload/types';
import { S3Driver, type S3DriverConfig } from './drivers/s3-driver.js';

/** Virtual-hosted addressing cannot work on an IP address or localhost: those always go path-style. */
function needsPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || isIP(host) !== 0;
}

/** R2, Amazon S3 and Wasabi are presets of the one S3 driver. */
export function providerDriver(key: ProviderKey, s: ProviderSettings, tuning: Partial<S3DriverConfig> = {}): S3Driver {
  const endpoint = effectiveEndpoint(key, s);
  return new S3Driver({
    endpoint,
    region: effectiveRegion(key, s) || 'us-east-1',
    bucket: s.bucket,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    forcePathStyle: s.usePathStyleEndpoint || needsPathStyle(endpoint),
    publicUrl: s.publicUrl,
    ...tuning,
  });
}
