import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeStorageDriverConformance } from './conformance.js';
import { LocalDriver } from './local-driver.js';

describeStorageDriverConformance('local', () => new LocalDriver(mkdtempSync(path.join(os.tmpdir(), 'offload-local-')), 'http://127.0.0.1:3000'), {
  multipartSize: 12 * 1024 * 1024,
});
