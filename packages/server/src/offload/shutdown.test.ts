import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { creative, finalize, waitForStatus, writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget } from '../../test/s3.js';
import { configureR2, r2OnTestServer } from '../../test/storage-fixtures.js';
import { TcpProxy } from '../../test/tcp-proxy.js';
import { startOffloadWorker } from './worker.js';

const target = s3TestTarget();
const s3 = independentS3Client(target);
const MiB = 1024 * 1024;

describe('a shutdown in the middle of an upload', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  const proxy = new TcpProxy(new URL(target.endpoint));
  const prefix = `shutdown-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await proxy.start();
    // The worker is started and stopped by the test itself, as a process's shutdown does.
    app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'false', OFFLOAD_PART_SIZE_MB: '5' });
    await configureR2(app, r2OnTestServer(target.full, { enabled: true, customEndpoint: proxy.url, keyPrefix: prefix }));
    await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, await app.adminHeaders());
    platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  });
  afterAll(async () => {
    await app?.stop();
    await proxy.stop();
    await deletePrefix(target, prefix);
  });

  it('abandons it cleanly — no parts left in the bucket, the attempt not counted — and a restarted worker uploads it whole', async () => {
    const name = randomUUID();
    const rel = `videos/veo/${name}.mp4`;
    const sha = await writeResult(app.config.resultsDir, rel, 16 * MiB);
    // The second part hangs on the network, so the upload is still going when the shutdown comes.
    const stall = proxy.inject(new RegExp(`^PUT \\S*${name}\\S*[?&]partNumber=2(&|\\s)`), { stall: 1000, ms: 120_000 });
    const worker = await startOffloadWorker(app.runtime);
    const id = (await finalize(app, platform, { path: rel, studio: 'VIDEO' })).data!.finalizeCreative.id;
    await waitForStatus(app, platform, id, 'UPLOADING');
    await expect.poll(() => stall.hits, { timeout: 20_000 }).toBe(1);

    const started = Date.now();
    await worker.stop();
    // The queue's grace period (5 s), then the upload is stopped rather than waited for.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await creative(app, platform, id)).toMatchObject({ offloadStatus: 'QUEUED', offloadAttempts: 0, lastError: null, localCopy: true });
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: target.bucket, Prefix: `${prefix}/` }));
    expect(uploads.Uploads ?? [], 'the multipart upload was aborted, not left to collect parts').toEqual([]);
    expect(app.logs.text).toContain('offload stopped by the shutdown; it resumes after the restart');
    expect(app.logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((e) => e.level >= 50)).toEqual([]);

    const restarted = await startOffloadWorker(app.runtime);
    try {
      const done = await waitForStatus(app, platform, id, 'OFFLOADED', 60_000);
      expect(done).toMatchObject({ sha256: sha, offloadAttempts: 1 });
      const res = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: done.objectKey! }));
      const hash = createHash('sha256');
      for await (const chunk of res.Body as AsyncIterable<Buffer>) hash.update(chunk);
      expect(hash.digest('hex')).toBe(sha);
    } finally {
      await restarted.stop();
    }
  });
});
