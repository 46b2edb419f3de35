import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeStorageDriverConformance } from './conformance.js';
import { LocalDriver } from './local-driver.js';

const newDriver = () => new LocalDriver(mkdtempSync(path.join(os.tmpdir(), 'offload-local-')), 'http://127.0.0.1:3000');

describeStorageDriverConformance('local', newDriver, { multipartSize: 12 * 1024 * 1024, verification: 'read-back' });

describe('local driver writes of known bytes (results coming back to this server)', () => {
  const body = randomBytes(3 * 1024 * 1024);
  const sha256 = createHash('sha256').update(body).digest('hex');

  it('land under the key when the bytes written match the expected size and SHA-256', async () => {
    const driver = newDriver();
    expect(await driver.writeStream('videos/back.mp4', Readable.from([body]), { contentType: 'video/mp4', expected: { size: body.length, sha256 } })).toEqual({
      size: body.length,
      sha256,
      verification: 'read-back',
    });
    expect(readdirSync(path.join(driver.root, 'videos'))).toEqual(['back.mp4']);
  });

  it('leave nothing under the key, and no temporary file, when the bytes differ from what was expected', async () => {
    const driver = newDriver();
    const damaged = Buffer.from(body);
    damaged[12345]! ^= 1;
    const error = await driver
      .writeStream('videos/back.mp4', Readable.from([damaged]), { contentType: 'video/mp4', expected: { size: body.length, sha256 } })
      .catch((e: Error) => e);
    expect(error).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringMatching(/^videos\/back\.mp4 was written as 3145728 bytes with SHA-256 \w{12}…, expected 3145728 bytes/),
    });
    expect(readdirSync(path.join(driver.root, 'videos'))).toEqual([]);
  });

  it('leave nothing behind when the source stream fails half way', async () => {
    const driver = newDriver();
    const failing = new Readable({
      read() {
        this.push(body.subarray(0, 1024));
        this.destroy(new Error('connection reset by the bucket'));
      },
    });
    await expect(driver.writeStream('videos/back.mp4', failing, { contentType: 'video/mp4' })).rejects.toMatchObject({ code: 'UNKNOWN' });
    expect(readdirSync(path.join(driver.root, 'videos'))).toEqual([]);
  });
});
