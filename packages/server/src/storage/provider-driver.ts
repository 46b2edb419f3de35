import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { PROVIDERS, type ProviderKey, type ProviderSettings } from '@offload/types';
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
 * Each provider says how to reach its bucket (its `connection` in the catalog); R2, Amazon S3
 * and Wasabi are presets of the one S3 driver. Drivers are kept per configuration
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
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = PROVIDERS[key].connection(s);
  return {
    endpoint,
    region,
    bucket: s.bucket,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: forcePathStyle || needsPathStyle(endpoint),
    publicUrl: s.publicUrl,
    ...tuning,
  };
}
