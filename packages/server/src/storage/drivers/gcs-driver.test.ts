import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { gcsAdmin, gcsTestTarget, forgedGcsKey, newGcsAccount, NO_GCS_EMULATOR, type GcsServiceAccountKey } from '../../../test/gcs.js';
import { skipBecause } from '../../../test/skip.js';
import { describeStorageDriverConformance } from './conformance.js';
import { StorageError } from './errors.js';
import { GcsDriver, type GcsDriverConfig } from './gcs-driver.js';

const target = await gcsTestTarget();
const MiB = 1024 * 1024;

const config = (key: GcsServiceAccountKey = target.full, overrides: Partial<GcsDriverConfig> = {}): GcsDriverConfig => ({
  endpoint: target.endpoint,
  projectId: key.project_id,
  bucket: target.bucket,
  clientEmail: key.client_email,
  privateKey: key.private_key,
  tokenUri: key.token_uri,
  publicUrl: '',
  partSize: 5 * MiB,
  maxAttempts: 3,
  ...overrides,
});

// 12 MiB with 5 MiB chunks: a resumable upload of three requests, the last one short.
describeStorageDriverConformance('Google Cloud Storage', () => new GcsDriver(config()), { multipartSize: 12 * MiB, verification: 'store-checksum' });

const sources = mkdtempSync(path.join(os.tmpdir(), 'offload-gcs-driver-'));
afterAll(() => rmSync(sources, { recursive: true, force: true }));
const fileOf = (body: Buffer) => {
  const file = path.join(sources, randomUUID());
  writeFileSync(file, body);
  return file;
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof StorageError ? error.code : `not a StorageError: ${String(error)}`;
  }
};
const write = (driver: GcsDriver, key: string, body: Buffer) => driver.writeFile(key, fileOf(body), { contentType: 'application/octet-stream' });

describe('GCS driver uploads, checked by the store', () => {
  const driver = new GcsDriver(config());
  afterEach(async () => {
    if (target.emulated) await gcsAdmin.clearFaults();
  });

  it('report the SHA-256 of the bytes sent, and the object carries the MD5 GCS computed over what it received', async () => {
    for (const size of [3 * MiB, 11 * MiB]) {
      const body = randomBytes(size);
      const key = `uploads/${randomUUID()}.bin`;
      expect(await write(driver, key, body)).toEqual({ size, sha256: sha256(body), verification: 'store-checksum' });
      expect(sha256(await buffer(await driver.read(key)))).toBe(sha256(body));
      if (target.emulated) {
        const md5 = createHash('md5').update(body).digest('base64');
        expect((await gcsAdmin.objectInfo(target.bucket, key))?.recorded.md5).toBe(md5);
      }
      await driver.delete(key);
    }
  });

  it.for([
    ['one request', 300 * 1024, false],
    ['a resumable chunk', 11 * MiB, true],
  ] as const)('send again a body altered in flight (%s): GCS refuses the mismatch, and the copy stored is the file', async ([, size, resumable], ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const body = randomBytes(size);
    const key = `flipped/${randomUUID()}.bin`;
    // In one request, or in a chunk of data (not the status query a resumable upload starts with).
    const match = resumable ? { method: 'PUT', object: key, contentRange: '^bytes \\d' } : { method: 'POST', object: key };
    await gcsAdmin.addFault({ match, action: { type: 'flip', atByte: 1000 } });
    const since = await gcsAdmin.lastRequest();
    expect(await write(driver, key, body)).toMatchObject({ sha256: sha256(body), verification: 'store-checksum' });
    expect(sha256((await gcsAdmin.readObject(target.bucket, key))!)).toBe(sha256(body));
    // The altered body was refused (400), then the file was sent again.
    const statuses = (await gcsAdmin.requests({ since, object: key })).map((r) => r.status);
    expect(statuses).toContain(400);
    await driver.delete(key);
  });

  it('fail with CHECKSUM_MISMATCH, storing nothing, when every send is altered', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = `flipped-always/${randomUUID()}.bin`;
    await gcsAdmin.addFault({ match: { method: 'POST', object: key, uploadType: 'multipart' }, times: 10, action: { type: 'flip', atByte: 7 } });
    expect(await codeOf(write(driver, key, randomBytes(4096)))).toBe('CHECKSUM_MISMATCH');
    expect(await gcsAdmin.objectInfo(target.bucket, key)).toBeUndefined();
  });

  it('resume a resumable upload after the connection is cut mid-chunk, from what GCS persisted', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const body = randomBytes(12 * MiB);
    const key = `cut/${randomUUID()}.bin`;
    // The second chunk's connection is cut 1 MiB in.
    await gcsAdmin.addFault({ match: { method: 'PUT', object: key }, skip: 1, action: { type: 'cut', afterBytes: MiB } });
    const since = await gcsAdmin.lastRequest();
    expect((await write(driver, key, body)).sha256).toBe(sha256(body));
    expect(sha256((await gcsAdmin.readObject(target.bucket, key))!)).toBe(sha256(body));
    const puts = (await gcsAdmin.requests({ since, object: key })).filter((r) => r.method === 'PUT');
    expect(puts.some((r) => r.cut)).toBe(true);
    // After the cut, the SDK asked where the upload stands (a 308 naming what was persisted) and went on from there.
    expect(puts.some((r) => r.status === 308 && /^bytes \*\//.test(r.contentRange ?? ''))).toBe(true);
    expect(puts.at(-1)?.status).toBe(200);
    await driver.delete(key);
  });

  it('retry a 503 and a 429 from GCS', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = `busy/${randomUUID()}.bin`;
    await gcsAdmin.addFault({ match: { object: key, method: 'POST' }, action: { type: 'status', status: 503 } });
    await gcsAdmin.addFault({ match: { object: key, method: 'GET' }, action: { type: 'status', status: 429 } });
    const since = await gcsAdmin.lastRequest();
    const body = randomBytes(1000);
    await write(driver, key, body);
    expect(sha256(await buffer(await driver.read(key)))).toBe(sha256(body));
    const statuses = (await gcsAdmin.requests({ since, object: key })).map((r) => `${r.method} ${r.status}`);
    expect(statuses).toEqual(expect.arrayContaining(['POST 503', 'POST 200', 'GET 429', 'GET 200']));
    await driver.delete(key);
  });

  it('go on after a transient failure on every chunk of a long upload (the SDK’s retry budget is the whole upload’s)', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = `busy-chunks/${randomUUID()}.bin`;
    await gcsAdmin.addFault({ match: { method: 'PUT', object: key, contentRange: '^bytes \\d' }, times: 3, action: { type: 'status', status: 503 } });
    const body = randomBytes(12 * MiB);
    expect((await write(new GcsDriver(config(target.full, { maxAttempts: 2 })), key, body)).sha256).toBe(sha256(body));
    expect(sha256((await gcsAdmin.readObject(target.bucket, key))!)).toBe(sha256(body));
    await driver.delete(key);
  });

  it('time out a stalled chunk at the request timeout instead of waiting on it', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = `stalled/${randomUUID()}.bin`;
    await gcsAdmin.addFault({ match: { method: 'PUT', object: key, contentRange: '^bytes \\d' }, action: { type: 'delay', ms: 8000 } });
    const started = performance.now();
    const body = randomBytes(6 * MiB);
    // The stalled request is given up after 1.5 s and the upload goes on from where GCS stands.
    expect((await write(new GcsDriver(config(target.full, { requestTimeoutMs: 1500 })), key, body)).sha256).toBe(sha256(body));
    expect(performance.now() - started).toBeLessThan(7000);
    await driver.delete(key);
  });

  it('refuse to send again a file that changed after it was hashed', async () => {
    const key = `changing/${randomUUID()}.bin`;
    const file = fileOf(randomBytes(6 * MiB));
    // The first send is refused as altered (the flip), and before the second the file changes: it is not sent again.
    if (target.emulated) await gcsAdmin.addFault({ match: { method: 'PUT', object: key, contentRange: '^bytes \\d' }, action: { type: 'flip', atByte: 10 } });
    const changing = driver.writeFile(key, file, { contentType: 'application/octet-stream' });
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(file, randomBytes(6 * MiB + 1));
    const error = await changing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(`${file} changed while it was being uploaded`);
  });

  it('hold about one chunk, not the file: a 200 MB file goes up with bounded memory and a verified checksum', async () => {
    const file = path.join(sources, 'large.bin');
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject).on('finish', resolve);
      for (let i = 0; i < 200; i++) {
        const chunk = randomBytes(MiB);
        hash.update(chunk);
        out.write(chunk);
      }
      out.end();
    });
    const big = new GcsDriver(config(target.full, { partSize: 8 * MiB }));
    const key = `large/${randomUUID()}.bin`;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    const written = await big.writeFile(key, file, { contentType: 'video/mp4' });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    console.log(`200 MB to GCS: ${seconds.toFixed(1)} s, ${(200 / seconds).toFixed(0)} MB/s, RSS growth ${((peak - before) / MiB).toFixed(0)} MiB`);
    expect(written).toEqual({ size: 200 * MiB, sha256: hash.digest('hex'), verification: 'store-checksum' });
    if (target.emulated) expect((await gcsAdmin.objectInfo(target.bucket, key))?.actual.size).toBe(200 * MiB);
    expect(peak - before).toBeLessThan(100 * MiB);
    await big.delete(key);
  }, 120_000);
});

describe('GCS driver failures, as the codes every provider shares', () => {
  it('refuses a key whose private key is not the account’s at the token endpoint: INVALID_CREDENTIALS', async () => {
    const driver = new GcsDriver(config(forgedGcsKey(target.full), { maxAttempts: 1 }));
    const error = await driver.writeBuffer(`denied/${randomUUID()}.txt`, Buffer.from('x'), { contentType: 'text/plain' }).catch((e: StorageError) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('INVALID_CREDENTIALS');
    expect((error as StorageError).message).toContain('invalid_grant');
    expect((error as StorageError).message).not.toContain('PRIVATE KEY');
  });

  it('refuses a deleted service account: INVALID_CREDENTIALS', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = await newGcsAccount('admin');
    await gcsAdmin.revokeAccount(key.client_email);
    expect(await codeOf(new GcsDriver(config(key, { maxAttempts: 1 })).read('anything.txt'))).toBe('INVALID_CREDENTIALS');
  });

  it('tells a read-only account may not upload, and a write-only one may not read back: ACCESS_DENIED', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const key = `perm/${randomUUID()}.txt`;
    expect(await codeOf(new GcsDriver(config(target.reader!, { maxAttempts: 1 })).writeBuffer(key, Buffer.from('x'), { contentType: 'text/plain' }))).toBe(
      'ACCESS_DENIED',
    );
    const writer = new GcsDriver(config(target.writer!, { maxAttempts: 1 }));
    await writer.writeBuffer(key, Buffer.from('x'), { contentType: 'text/plain' });
    expect(await codeOf(writer.read(key))).toBe('ACCESS_DENIED');
    await new GcsDriver(config()).delete(key);
  });

  it('names a missing bucket BUCKET_NOT_FOUND, and a missing object NOT_FOUND', async () => {
    const missing = new GcsDriver(config(target.full, { bucket: `no-such-bucket-${randomUUID().slice(0, 8)}`, maxAttempts: 1 }));
    expect(await codeOf(missing.writeBuffer('x.txt', Buffer.from('x'), { contentType: 'text/plain' }))).toBe('BUCKET_NOT_FOUND');
    expect(await codeOf(new GcsDriver(config()).read(`missing/${randomUUID()}`))).toBe('NOT_FOUND');
  });

  it('names an endpoint nothing listens on ENDPOINT_UNREACHABLE', async () => {
    const nowhere = new GcsDriver(config(target.full, { endpoint: 'http://127.0.0.1:9', maxAttempts: 1, connectionTimeoutMs: 1000 }));
    expect(await codeOf(nowhere.writeBuffer('x.txt', Buffer.from('x'), { contentType: 'text/plain' }))).toBe('ENDPOINT_UNREACHABLE');
  });
});

describe('GCS links', () => {
  it('sign V4 links the store accepts, and it refuses one with a character changed or past its expiry', async (ctx) => {
    skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);
    const driver = new GcsDriver(config());
    const key = `signed/${randomUUID()}.png`;
    const body = randomBytes(2048);
    await driver.writeFile(key, fileOf(body), { contentType: 'image/png' });
    const url = await driver.signedUrl(key, 60, { downloadName: 'result.png' });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-disposition')).toBe('attachment; filename="result.png"');
    expect(sha256(Buffer.from(await ok.arrayBuffer()))).toBe(sha256(body));

    const signature = new URL(url).searchParams.get('X-Goog-Signature')!;
    const tampered = url.replace(signature, `${signature.slice(0, 10)}${signature[10] === 'a' ? 'b' : 'a'}${signature.slice(11)}`);
    expect((await fetch(tampered)).status).toBe(403);
    const otherObject = url.replace(encodeURIComponent(key.split('/')[1]!), 'other.png');
    expect((await fetch(otherObject)).status).toBe(403);

    const shortLived = new GcsDriver(config());
    const expiring = await shortLived.signedUrl(key, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await fetch(expiring)).status).toBe(400);
    await driver.delete(key);
  });

  it('refuse a link whose X-Goog-Expires was raised or X-Goog-Date moved forward: both are signed, so a lapsed link stays dead', async () => {
    const driver = new GcsDriver(config());
    const key = `signed-lapsed/${randomUUID()}.png`;
    await driver.writeBuffer(key, randomBytes(512), { contentType: 'image/png' });
    const answer = async (url: string) => {
      const res = await fetch(url);
      return `${res.status} ${/<Code>(\w+)<\/Code>/.exec(await res.text())?.[1] ?? ''}`.trim();
    };
    const googDate = (at: Date) => at.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const withExpires = (url: string, seconds: number) => url.replace(/X-Goog-Expires=\d+/, `X-Goog-Expires=${seconds}`);
    const withDate = (url: string, at: Date) => url.replace(/X-Goog-Date=\d{8}T\d{6}Z/, `X-Goog-Date=${googDate(at)}`);

    // A live link, and the same link made to last a day.
    const live = await driver.signedUrl(key, 60);
    expect(await answer(live)).toBe('200');
    expect(await answer(withExpires(live, 86_400))).toBe('403 SignatureDoesNotMatch');

    // A link signed an hour ago for a minute: lapsed, and not revived by a longer life or a later start.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 3600_000 });
    const lapsed = await driver.signedUrl(key, 60).finally(() => vi.useRealTimers());
    expect(await answer(lapsed)).toBe('400 ExpiredToken');
    expect(await answer(withExpires(lapsed, 7200))).toBe('403 SignatureDoesNotMatch');
    expect(await answer(withDate(lapsed, new Date()))).toBe('403 SignatureDoesNotMatch');
    await driver.delete(key);
  });

  it('build public URLs from the Public / CDN URL, which a public bucket serves anonymously', async (ctx) => {
    skipBecause(ctx, !target.publicBucket && 'needs a public bucket (GCS_TEST_PUBLIC_BUCKET on real GCS)');
    const publicUrl = `${target.endpoint}/${target.publicBucket}`;
    const driver = new GcsDriver(config(target.full, { bucket: target.publicBucket!, publicUrl }));
    const key = `public/${randomUUID()} [1].png`;
    await driver.writeFile(key, fileOf(Buffer.from('public bytes')), { contentType: 'image/png', cacheControl: 'public, max-age=31536000, immutable' });
    const res = await fetch(driver.publicUrl(key)!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('public bytes');
    await driver.delete(key);
    // The private bucket serves nothing anonymously at the same path.
    const privateKey = `private/${randomUUID()}.png`;
    const privateDriver = new GcsDriver(config());
    await privateDriver.writeBuffer(privateKey, Buffer.from('private'), { contentType: 'image/png' });
    expect((await fetch(`${target.endpoint}/${target.bucket}/${privateKey}`)).status).toBe(403);
    await privateDriver.delete(privateKey);
  });
});
