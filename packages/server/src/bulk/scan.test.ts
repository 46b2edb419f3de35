import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { finalize } from '../../test/offload-fixtures.js';

let app: TestApp;
let admin: Record<string, string>;
let platform: Record<string, string>;
const put = (rel: string, bytes: number) => {
  const file = path.join(app.config.resultsDir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.alloc(bytes, 7));
};
const gql = async <T>(query: string, headers = admin): Promise<T> => {
  const res = await app.graphql<T>(query, {}, headers);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data;
};
interface JobView {
  id: string;
  state: string;
  plannedItems: number;
  doneItems: number;
  doneBytes: number;
  skippedItems: number;
  failedItems: number;
  lastError: string | null;
}
async function scan(): Promise<JobView> {
  const { scanResultsDisk } = await gql<{ scanResultsDisk: { id: string } }>('mutation { scanResultsDisk { id } }');
  for (const deadline = Date.now() + 30_000; ;) {
    const { bulkJob } = await gql<{ bulkJob: JobView }>(
      `{ bulkJob(id: "${scanResultsDisk.id}") { id state plannedItems doneItems doneBytes skippedItems failedItems lastError } }`,
    );
    if (bulkJob.state !== 'RUNNING' || Date.now() > deadline) return bulkJob;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  app = await startTestApp({ OFFLOAD_WORKER: 'true', LOG_LEVEL: 'warn' });
  admin = await app.adminHeaders();
  platform = await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']);
  // A library that was there before Offload: three results, one finalized already, and files that are not results.
  put('images/gemini/a.png', 1000);
  put('videos/veo/b.mp4', 5000);
  put('misc/c.webp', 300);
  put('images/gemini/known.png', 10);
  await finalize(app, platform, { path: 'images/gemini/known.png', studio: 'IMAGE' });
  put('notes/readme.txt', 5);
  put('images/.hidden.png', 5);
  put('images/gemini/d.png.offload-partial', 5);
  writeFileSync(path.join(os.tmpdir(), 'offload-outside.png'), 'x');
  symlinkSync(path.join(os.tmpdir(), 'offload-outside.png'), path.join(app.config.resultsDir, 'images/outside.png'));
});
afterAll(() => app?.stop());

describe('scanning the results disk', () => {
  it('counts first what it would register: the images and videos never finalized', async () => {
    expect((await gql<{ planScanResultsDisk: { items: number; bytes: number } }>('{ planScanResultsDisk { items bytes } }')).planScanResultsDisk).toEqual({
      items: 3,
      bytes: 6300,
    });
  });

  it('registers them as local results with their studio and type, leaving every other file alone', async () => {
    expect(await scan()).toMatchObject({
      state: 'COMPLETED',
      plannedItems: 3,
      doneItems: 3,
      doneBytes: 6300,
      skippedItems: 1,
      failedItems: 1,
      lastError: 'Not results, left alone: 1 file(s), e.g. notes/readme.txt: not an image or a video',
    });
    const { creatives } = await gql<{ creatives: { nodes: { path: string; studio: string; contentType: string; offloadStatus: string; size: number }[] } }>(
      '{ creatives(first: 50) { nodes { path studio contentType offloadStatus size } } }',
      platform,
    );
    expect(creatives.nodes.map((c) => [c.path, c.studio, c.contentType, c.offloadStatus, c.size]).sort()).toEqual([
      ['images/gemini/a.png', 'IMAGE', 'image/png', 'LOCAL', 1000],
      ['images/gemini/known.png', 'IMAGE', 'image/png', 'LOCAL', 10],
      ['misc/c.webp', 'IMAGE', 'image/webp', 'LOCAL', 300],
      ['videos/veo/b.mp4', 'VIDEO', 'video/mp4', 'LOCAL', 5000],
    ]);
  });

  it('registers nothing twice when run again', async () => {
    expect(await scan()).toMatchObject({ state: 'COMPLETED', doneItems: 0, skippedItems: 4 });
  });
});
