import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { effectiveEndpoint, effectiveRegion, type ProviderKey, type ProviderSettings } from '@offload/types';
import { BufferPools } from './drivers/buffer-pool.js';
import { S3Driver, type S3DriverConfig } from './drivers/s3-driver.js';

/** Virtual-hosted addressing cannot work on an IP address or localhost: those always go path-style. */
function needsPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || isIP(host) !== 0;
}

const MAX_DRIVERS = 16;

/**
 * R2, Amazon S3 and Wasabi are presets of the one S3 driver. Drivers are kept per configuration
 * (a few, one set per process), so uploads reuse one client, its open connections and its
 * buffers instead of building them per file.
 */
export class ProviderDrivers {
  private readonly drivers = new Map<string, S3Driver>();
  private readonly pools = new BufferPools();

  for(key: ProviderKey, settings: ProviderSettings, tuning: Partial<S3DriverConfig> = {}): S3Driver {
    const config = driverConfig(key, settings, tuning);
    const id = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    let driver = this.drivers.get(id);
    if (!driver) {
      // Forget the oldest (an upload still using it keeps it until it finishes).
      if (this.drivers.size >= MAX_DRIVERS) this.drivers.delete(this.drivers.keys().next().value!);
      this.drivers.set(id, (driver = new S3Driver(config, this.pools)));
    }
    return driver;
  }
}

function driverConfig(key: ProviderKey, s: ProviderSettings, tuning: Partial<S3DriverConfig>): S3DriverConfig {
  const endpoint = effectiveEndpoint(key, s);
  return {
    endpoint,
    region: effectiveRegion(key, s) || 'us-east-1',
    bucket: s.bucket,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    forcePathStyle: s.usePathStyleEndpoint || needsPathStyle(endpoint),
    publicUrl: s.publicUrl,
    ...tuning,
  };
}
