import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { PROVIDERS, type BucketConnection, type ProviderKey, type ProviderSettings } from '@offload/types';
import { BufferPools } from './drivers/buffer-pool.js';
import type { BucketDriver, DriverTuning } from './drivers/driver.js';
import { GcsDriver } from './drivers/gcs-driver.js';
import { S3Driver } from './drivers/s3-driver.js';

/** Virtual-hosted addressing cannot work on an IP address or localhost: those always go path-style. */
function needsPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || isIP(host) !== 0;
}

const MAX_DRIVERS = 16;

/**
 * Each provider says how to reach its bucket (its `connection` in the catalog): R2, Amazon S3
 * and Wasabi are presets of the one S3 driver, Google Cloud Storage has its own. Drivers are kept
 * per configuration (a few, one set per process), so uploads reuse one client, its open
 * connections, its access token and its buffers instead of building them per file.
 */
export class ProviderDrivers {
  private readonly drivers = new Map<string, BucketDriver>();
  private readonly pools = new BufferPools();

  for(key: ProviderKey, settings: ProviderSettings, tuning: DriverTuning = {}): BucketDriver {
    const connection = PROVIDERS[key].connection(settings);
    const id = createHash('sha256')
      .update(JSON.stringify([connection, settings.bucket, settings.publicUrl, tuning]))
      .digest('hex');
    let driver = this.drivers.get(id);
    if (!driver) {
      // Forget the oldest (an upload still using it keeps it until it finishes).
      if (this.drivers.size >= MAX_DRIVERS) this.drivers.delete(this.drivers.keys().next().value!);
      this.drivers.set(id, (driver = this.build(connection, settings, tuning)));
    }
    return driver;
  }

  private build(connection: BucketConnection, s: ProviderSettings, tuning: DriverTuning): BucketDriver {
    const place = { bucket: s.bucket, publicUrl: s.publicUrl, ...tuning };
    if (connection.driver === 'gcs') {
      const { endpoint, projectId, clientEmail, privateKey, tokenUri } = connection;
      return new GcsDriver({ endpoint, projectId, clientEmail, privateKey, tokenUri, ...place }, this.pools);
    }
    const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = connection;
    return new S3Driver({ endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: forcePathStyle || needsPathStyle(endpoint), ...place }, this.pools);
  }
}
