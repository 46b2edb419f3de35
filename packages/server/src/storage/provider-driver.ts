import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { effectiveEndpoint, effectiveRegion, type ProviderKey, type ProviderSettings } from '@offload/types';
import { S3Driver, type S3DriverConfig } from './drivers/s3-driver.js';

/** Virtual-hosted addressing cannot work on an IP address or localhost: those always go path-style. */
function needsPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || isIP(host) !== 0;
}

const drivers = new Map<string, S3Driver>();
const MAX_DRIVERS = 16;

/**
 * R2, Amazon S3 and Wasabi are presets of the one S3 driver. Drivers are kept per configuration
 * (a few), so uploads reuse one client and its open connections instead of building both per file.
 */
export function providerDriver(key: ProviderKey, s: ProviderSettings, tuning: Partial<S3DriverConfig> = {}): S3Driver {
  const endpoint = effectiveEndpoint(key, s);
  const config: S3DriverConfig = {
    endpoint,
    region: effectiveRegion(key, s) || 'us-east-1',
    bucket: s.bucket,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    forcePathStyle: s.usePathStyleEndpoint || needsPathStyle(endpoint),
    publicUrl: s.publicUrl,
    ...tuning,
  };
  const id = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  let driver = drivers.get(id);
  if (!driver) {
    // Forget the oldest (an upload still using it keeps it until it finishes).
    if (drivers.size >= MAX_DRIVERS) drivers.delete(drivers.keys().next().value!);
    drivers.set(id, (driver = new S3Driver(config)));
  }
  return driver;
}
