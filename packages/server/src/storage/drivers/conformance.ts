import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from './errors.js';
import type { ChecksumVerification, StorageDriver } from './driver.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function errorOf(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StorageError) return error;
    throw error;
  }
  throw new Error('expected a StorageError, got success');
}

/**
 * What every storage driver must do, as sentences. Run against the local disk and against
 * the S3 driver on a real S3 server, each through one factory.
 */
export function describeStorageDriverConformance(
  name: string,
  makeDriver: () => StorageDriver,
  options: { multipartSize: number; verification: ChecksumVerification },
) {
  describe(`${name} storage driver`, () => {
    const driver = makeDriver();
    const ns = `conformance/${randomUUID()}`;
    const written: string[] = [];
    const sources = mkdtempSync(path.join(os.tmpdir(), 'offload-conformance-'));
    /** Writes `body` from a file on disk, as results are; checks the size and hash the driver reports. */
    const write = async (key: string, body: Buffer, contentType = 'application/octet-stream') => {
      written.push(key);
      const file = path.join(sources, randomUUID());
      writeFileSync(file, body);
      const result = await driver.writeFile(key, file, { contentType, cacheControl: 'public, max-age=31536000, immutable' });
      expect(result).toEqual({ size: body.length, sha256: sha256(body), verification: options.verification });
    };
    afterAll(async () => {
      for (const key of written) await driver.delete(key).catch(() => undefined);
      rmSync(sources, { recursive: true, force: true });
    });

    it('writes a file and reads back the same bytes with its content type', async () => {
      const key = `${ns}/images/gemini/${randomUUID()}.png`;
      const body = randomBytes(70_000);
      await write(key, body, 'image/png');
      expect(sha256(await buffer(await driver.read(key)))).toBe(sha256(body));
      const stat = await driver.stat(key);
      expect(stat).toMatchObject({ size: body.length, contentType: 'image/png' });
      expect(await driver.exists(key)).toBe(true);
    });

    it('writes an empty file as a 0-byte object', async () => {
      const key = `${ns}/empty.txt`;
      await write(key, Buffer.alloc(0), 'text/plain; charset=utf-8');
      expect((await driver.stat(key))?.size).toBe(0);
      expect((await buffer(await driver.read(key))).length).toBe(0);
    });

    it('writes a file larger than one multipart part without changing a byte', async () => {
      const key = `${ns}/videos/veo/${randomUUID()}.mp4`;
      const body = randomBytes(options.multipartSize);
      await write(key, body, 'video/mp4');
      expect((await driver.stat(key))?.size).toBe(options.multipartSize);
      expect(sha256(await buffer(await driver.read(key)))).toBe(sha256(body));
    });

    it('reports a missing source file as NOT_FOUND and stores nothing', async () => {
      const key = `${ns}/never/${randomUUID()}.png`;
      expect((await errorOf(driver.writeFile(key, path.join(sources, 'no-such-file'), { contentType: 'image/png' }))).code).toBe('NOT_FOUND');
      expect(await driver.exists(key)).toBe(false);
    });

    it('keeps unicode, spaces and brackets in names', async () => {
      const key = `${ns}/images/ünïcödé folder/[draft] (1) #tag + 100%.png`;
      await write(key, Buffer.from('odd name'), 'image/png');
      expect((await buffer(await driver.read(key))).toString()).toBe('odd name');
      const listed = [];
      for await (const entry of driver.list(`${ns}/images/ünïcödé folder/`)) listed.push(entry.key);
      expect(listed).toEqual([key]);
    });

    it('lists only what is under a prefix, with sizes', async () => {
      await write(`${ns}/list/a/one.txt`, Buffer.from('1'));
      await write(`${ns}/list/a/deeper/two.txt`, Buffer.from('22'));
      await write(`${ns}/list/b/three.txt`, Buffer.from('333'));
      const listed = [];
      for await (const { key, size } of driver.list(`${ns}/list/a/`)) listed.push({ key, size });
      expect(listed.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { key: `${ns}/list/a/deeper/two.txt`, size: 2 },
        { key: `${ns}/list/a/one.txt`, size: 1 },
      ]);
    });

    it('replaces an object written twice under the same key', async () => {
      const key = `${ns}/overwrite.txt`;
      await write(key, Buffer.from('first'));
      await write(key, Buffer.from('second version'));
      expect((await buffer(await driver.read(key))).toString()).toBe('second version');
    });

    it('reports a missing key as NOT_FOUND on read, and as absent on stat', async () => {
      const key = `${ns}/missing/${randomUUID()}.png`;
      expect((await errorOf(driver.read(key))).code).toBe('NOT_FOUND');
      expect(await driver.stat(key)).toBeNull();
      expect(await driver.exists(key)).toBe(false);
    });

    it('deletes an object, and deleting it again is not an error', async () => {
      const key = `${ns}/delete-me.txt`;
      await write(key, Buffer.from('bye'));
      await driver.delete(key);
      expect(await driver.exists(key)).toBe(false);
      await expect(driver.delete(key)).resolves.toBeUndefined();
    });

    it('refuses keys that climb out, are absolute or hold control characters', async () => {
      for (const key of ['../escape.txt', 'a/../../escape.txt', '/etc/passwd', 'a//b.txt', 'nul\u0000.txt', 'back\\slash.txt']) {
        expect((await errorOf(driver.writeFile(key, import.meta.filename, { contentType: 'text/plain' }))).code, key).toBe('INVALID_KEY');
      }
    });

    it('builds public URLs with each path segment encoded', () => {
      const url = driver.publicUrl('images/a b/[c].png');
      if (url !== null) expect(url).toMatch(/\/images\/a%20b\/%5Bc%5D\.png$/);
    });
  });
}
