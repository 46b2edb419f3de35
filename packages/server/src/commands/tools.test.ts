import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAdminHeaders, processGraphql, startServerProcess, type ServerProcess } from '../../test/harness.js';
import { writeResult } from '../../test/offload-fixtures.js';
import { deletePrefix, independentS3Client, s3TestTarget, secondBucket, type S3TestTarget } from '../../test/s3.js';
import { r2OnTestServer } from '../../test/storage-fixtures.js';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetA = s3TestTarget();
const targetB = await secondBucket(targetA);
const s3 = independentS3Client(targetA);
const prefix = `tools-${randomUUID().slice(0, 8)}`;
const COUNT = 12;

let server: ServerProcess;
let admin: Record<string, string>;
let ids: { a: string; b: string };

const gql = <T>(query: string, variables: Record<string, unknown> = {}, headers = admin) => processGraphql<T>(server, query, variables, headers);

/** Runs the operator's command line (the compiled build, as `pnpm offload-tools` does) against the server's database. */
function tools(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/tools.js', ...args], {
    cwd: serverDir,
    env: { ...process.env, DATABASE_URL: server.database!.url, DATA_DIR: server.dataDir, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

const keysIn = async (target: S3TestTarget) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/` }))).Contents ?? []).map((o) => o.Key!).sort();

beforeAll(async () => {
  server = await startServerProcess({ LICENSE_TYPE: 'extended', OFFLOAD_LEASE_SECONDS: '5', LOG_LEVEL: 'warn' });
  admin = await processAdminHeaders(server);
  const save = (bucket: string) =>
    gql('mutation($i: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $i) { configured } }', {
      i: r2OnTestServer(targetA.full, { enabled: true, keyPrefix: prefix, bucket }),
    });
  await gql('mutation { installPlugin(key: CLOUDFLARE_R2) { installed } }');
  await save(targetA.bucket);
  await gql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }');
  const { createApiToken } = await gql<{ createApiToken: { token: string } }>(
    'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE] }) { token } }',
  );
  for (let i = 0; i < COUNT; i++) {
    const rel = `images/gemini/${i}-${randomUUID()}.png`;
    await writeResult(path.join(server.dataDir, 'results'), rel, 30_000);
    await gql(
      'mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }',
      { i: { path: rel, studio: 'IMAGE' } },
      { Authorization: `Bearer ${createApiToken.token}` },
    );
  }
  for (const deadline = Date.now() + 60_000; (await keysIn(targetA)).length < COUNT && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 250));
  await save(targetB.bucket);
  const { storageLocations } = await gql<{ storageLocations: { id: string; bucket: string | null }[] }>('{ storageLocations { id bucket } }');
  ids = { a: storageLocations.find((l) => l.bucket === targetA.bucket)!.id, b: storageLocations.find((l) => l.bucket === targetB.bucket)!.id };
});
afterAll(async () => {
  await server?.stop();
  await deletePrefix(targetA, prefix);
  await deletePrefix(targetB, prefix);
});

describe('the operator command line', () => {
  it('lists the locations with their results', async () => {
    const { code, stdout } = await tools('locations');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^\\s+${ids.a}  cloudflare-r2 ${targetA.bucket} \\(retired\\)  ${COUNT} results, `, 'm'));
    expect(stdout).toMatch(new RegExp(`^\\s+${ids.b}  cloudflare-r2 ${targetB.bucket}  0 results`, 'm'));
  });

  it('says what a move would take with --dry-run, and starts nothing', async () => {
    const { code, stdout } = await tools('move', '--from', ids.a, '--to', 'active', '--delete-source', '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${COUNT} results, 360 kB would move from cloudflare-r2 ${targetA.bucket} (#${ids.a}) to cloudflare-r2 ${targetB.bucket} (#${ids.b}).\n`,
    );
    expect((await gql<{ bulkJobs: unknown[] }>('{ bulkJobs { id } }')).bulkJobs).toEqual([]);
  });

  it('moves for real with --watch, showing the progress the admin shows, to the end', async () => {
    const { code, stdout } = await tools('move', '--from', ids.a, '--to', ids.b, '--delete-source', '--watch');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Job (\\d+) RUNNING · cloudflare-r2 ${targetA.bucket} \\(#${ids.a}\\) → cloudflare-r2 ${targetB.bucket} \\(#${ids.b}\\) · 0 moved of ${COUNT} results \\(0%\\)`,
      ),
    );
    expect(lines.at(-1)).toMatch(new RegExp(`^Job \\d+ COMPLETED · .* · ${COUNT} moved of ${COUNT} results \\(100%\\) · 360 kB of 360 kB`));
    const jobId = /^Job (\d+)/.exec(lines[0]!)![1]!;
    // The admin's API tells the same: the numbers come from one place.
    const { bulkJob } = await gql<{ bulkJob: { state: string; doneItems: number; doneBytes: number } }>(
      'query($id: ID!) { bulkJob(id: $id) { state doneItems doneBytes } }',
      {
        id: jobId,
      },
    );
    expect(bulkJob).toEqual({ state: 'COMPLETED', doneItems: COUNT, doneBytes: COUNT * 30_000 });
    expect(await keysIn(targetB)).toHaveLength(COUNT);
    await expect.poll(() => keysIn(targetA)).toEqual([]);

    const listed = await tools('jobs');
    expect(listed.stdout).toContain(`Job ${jobId} COMPLETED`);
  });

  it('lists orphans and missing objects (with the bucket usage) without deleting, then deletes only the orphans', async () => {
    const recorded = await keysIn(targetB);
    const planted = [`${prefix}/images/gemini/stray-1.png`, `${prefix}/videos/stray-2.mp4`];
    for (const key of planted) await s3.send(new PutObjectCommand({ Bucket: targetB.bucket, Key: key, Body: Buffer.alloc(2000, 1) }));
    const gone = recorded[3]!;
    await s3.send(new DeleteObjectCommand({ Bucket: targetB.bucket, Key: gone }));

    const dry = await tools('orphans', '--from', ids.b, '--older-than', '0');
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    expect(
      lines
        .filter((l) => l.startsWith('orphan'))
        .map((l) => l.split(/\s+/)[1])
        .sort(),
    ).toEqual(planted.sort());
    expect(lines.filter((l) => l.startsWith('missing')).map((l) => l.split(/\s+/)[1])).toEqual([gone]);
    expect(lines.at(-2)).toBe(
      `Bucket ${targetB.bucket} (#${ids.b}) under ${prefix}/: ${COUNT} results recorded (360 kB); 2 objects (4 kB) no result references, 2 of them ` +
        'older than 0 h (4 kB); 1 results whose object is missing.',
    );
    expect(lines.at(-1)).toBe('Nothing was deleted: run again with --delete to remove the orphans older than the cut-off.');
    expect((await keysIn(targetB)).length).toBe(COUNT - 1 + 2);

    const wet = await tools('orphans', '--from', ids.b, '--older-than', '0', '--delete');
    expect(wet.stdout.trim().split('\n').at(-1)).toBe('Deleted 2 orphans (4 kB).');
    expect(await keysIn(targetB)).toEqual(recorded.filter((k) => k !== gone));
  });

  it('names what is wrong with the input, and what cannot be done, without a stack trace', async () => {
    // The last line of stderr (a dev setup's APP_KEY warning may come first), and the exit status.
    const answer = async (...args: string[]) => {
      const { code, stderr } = await tools(...args);
      return { code, error: stderr.trim().split('\n').at(-1) };
    };
    expect(await answer('move', '--from', 'somewhere', '--to', 'local')).toEqual({
      code: 2,
      error: '--from must be a location id (pnpm offload-tools locations), "local" or "active"; got "somewhere"',
    });
    expect(await answer('move', '--from', ids.b, '--to', ids.b)).toEqual({ code: 1, error: 'targetLocationId must differ from sourceLocationId' });
    expect(await answer('offload-existing', '--studio', 'AUDIO')).toEqual({ code: 2, error: '--studio must be IMAGE or VIDEO; got "AUDIO"' });
    expect(await answer('pause', '999')).toEqual({ code: 1, error: 'No bulk job with id 999' });
    expect(await answer('frobnicate')).toEqual({ code: 2, error: 'Unknown command "frobnicate". Run pnpm offload-tools --help.' });
  });
});
