import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/harness.js';
import { creative, finalize, startOffloadingApp, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget } from '../../test/s3.js';
import { TcpProxy, type FaultAction } from '../../test/tcp-proxy.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const MiB = 1024 * 1024;

/** The object's bytes as an independent client, straight from the store (not through the proxy), hashes them. */
const sha256OfObject = async (key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of res.Body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
};

/**
 * Uploads go to the real S3 test server through a proxy that damages one chosen request on the
 * wire. 5 MiB parts: a 12 MiB result goes up as parts 1 and 2 of 5 MiB and a last part 3 of 2 MiB.
 */
describe('integrity: a result counts as offloaded only when the store has checked every byte', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  const proxy = new TcpProxy(new URL(target.endpoint));
  const prefix = `integrity-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await proxy.start();
    ({ app, platform } = await startOffloadingApp(
      { OFFLOAD_PART_SIZE_MB: '5', OFFLOAD_REQUEST_TIMEOUT_SECONDS: '2' },
      { customEndpoint: proxy.url, keyPrefix: prefix, deleteLocalCopy: true },
    ));
  });
  afterAll(async () => {
    await app?.stop();
    await proxy.stop();
    await deletePrefix(target, prefix);
  });

  /** A request line of the upload of `name`: its single PUT, or part `n`. */
  const putOf = (name: string, part?: number) =>
    part ? new RegExp(`^PUT \\S*${name}\\S*[?&]partNumber=${part}(&|\\s)`) : new RegExp(`^PUT (?!\\S*partNumber)\\S*${name}`);
  const sent = (request: RegExp) => proxy.requests.filter((line) => request.test(line)).length;

  /** Damages the upload of a new result as `action` says; returns the creative once it is offloaded, and the result's SHA-256. */
  async function offloadThrough(size: number, part: number | undefined, action: FaultAction, times = 1) {
    const name = randomUUID();
    const rel = `videos/veo/${name}.mp4`;
    const sha = await writeResult(app.config.resultsDir, rel, size);
    const request = putOf(name, part);
    const fault = proxy.inject(request, action, times);
    const id = (await finalize(app, platform, { path: rel, studio: 'VIDEO' })).data!.finalizeCreative.id;
    const done = await waitForStatus(app, platform, id, 'OFFLOADED', 60_000);
    expect(fault.hits, 'the fault hit the upload').toBe(times);
    return { done, sha, rel, sends: sent(request) };
  }

  /** What must hold after every fault: the recorded hash is the file's, and the bytes in the store hash to it. */
  async function expectIntact({ done, sha, rel }: { done: { objectKey: string | null; sha256: string | null }; sha: string; rel: string }) {
    expect(done.sha256).toBe(sha);
    expect(done.objectKey).toBe(`${prefix}/${rel}`);
    expect(await sha256OfObject(done.objectKey!)).toBe(sha);
  }

  it.each([
    ['a single PUT', 1 * MiB, undefined, 300_000],
    ['the first part', 12 * MiB, 1, 1_000],
    ['a middle part', 12 * MiB, 2, 4 * MiB],
    ['the last part', 12 * MiB, 3, 2 * MiB - 1],
  ])('a byte flipped inside %s is refused by the store and sent again; the stored bytes are the file’s', async (_where, size, part, offset) => {
    const result = await offloadThrough(size, part, { flip: offset });
    await expectIntact(result);
    expect(result.sends, 'the damaged request was refused and sent again').toBe(2);
  });

  it('a byte flipped in every send of a part fails that attempt: the result stays local with the reason, and the next attempt stores it', async () => {
    const name = randomUUID();
    const rel = `videos/veo/${name}.mp4`;
    const sha = await writeResult(app.config.resultsDir, rel, 12 * MiB);
    proxy.inject(putOf(name, 2), { flip: 77 }, 3);
    const id = (await finalize(app, platform, { path: rel, studio: 'VIDEO' })).data!.finalizeCreative.id;
    await expect.poll(async () => (await creative(app, platform, id)).lastError, { timeout: 20_000 }).toMatch(/did not match their checksum/);
    const waiting = await creative(app, platform, id);
    expect(waiting).toMatchObject({ location: 'LOCAL', localCopy: true });
    expect(existsSync(path.join(app.config.resultsDir, rel)), 'the local copy is kept while no good object exists').toBe(true);
    const done = await waitForStatus(app, platform, id, 'OFFLOADED', 60_000);
    expect(done.offloadAttempts).toBe(2);
    await expectIntact({ done, sha, rel });
  });

  it('a part cut short (the store sees a truncated body) is sent again', async () => {
    await expectIntact(await offloadThrough(12 * MiB, 2, { truncate: 3 * MiB }));
  });

  it('a connection cut in the middle of a part is sent again', async () => {
    await expectIntact(await offloadThrough(12 * MiB, 1, { cut: 2 * MiB }));
  });

  it('a part stalled past the request timeout is abandoned and sent again; its buffer is not reused while the stalled request may still hold it', async () => {
    // Another upload runs meanwhile, taking buffers from the same pool: the bytes that land must still be each file's own.
    const [stalled, alongside] = await Promise.all([
      offloadThrough(12 * MiB, 1, { stall: 1 * MiB, ms: 5_000 }),
      offloadThrough(12 * MiB, 2, { stall: 4 * MiB, ms: 1_000 }),
    ]);
    expect(stalled.sends).toBeGreaterThanOrEqual(2);
    await expectIntact(stalled);
    await expectIntact(alongside);
  });

  it('deletes the local copy only after the store verified the object', async () => {
    const result = await offloadThrough(12 * MiB, 3, { flip: 5 });
    const { done, rel } = result;
    await expectIntact(result);
    await expect.poll(async () => (await creative(app, platform, done.id)).localCopy).toBe(false);
    expect(existsSync(path.join(app.config.resultsDir, rel))).toBe(false);
  });
});
