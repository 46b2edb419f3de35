import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { startTestApp, type TestApp } from './harness.js';
import { s3TestTarget } from './s3.js';
import { configureR2, r2OnTestServer } from './storage-fixtures.js';

export const CREATIVE_FIELDS = 'id path studio location objectKey url size contentType sha256 offloadStatus lastError localCopy offloadAttempts';

export interface CreativeView {
  id: string;
  path: string;
  location: string;
  objectKey: string | null;
  url: string;
  size: number;
  contentType: string;
  sha256: string | null;
  offloadStatus: string;
  lastError: string | null;
  localCopy: boolean;
  offloadAttempts: number;
}

/** Writes `size` random bytes to the results disk, 1 MiB at a time; returns their SHA-256. */
export async function writeResult(resultsDir: string, relative: string, size: number): Promise<string> {
  const file = path.join(resultsDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= 1024 * 1024) {
    const chunk = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

export async function finalize(app: TestApp, headers: Record<string, string>, input: Record<string, unknown>) {
  return app.graphql<{ finalizeCreative: CreativeView }>(
    `mutation($input: FinalizeCreativeInput!) { finalizeCreative(input: $input) { ${CREATIVE_FIELDS} } }`,
    { input },
    headers,
  );
}

export async function creative(app: TestApp, headers: Record<string, string>, id: string): Promise<CreativeView> {
  const res = await app.graphql<{ creative: CreativeView }>(`query($id: ID!) { creative(id: $id) { ${CREATIVE_FIELDS} } }`, { id }, headers);
  if (!res.data?.creative) throw new Error(`no creative ${id}: ${JSON.stringify(res.errors)}`);
  return res.data.creative;
}

/** Polls until the creative reaches `status` (or fails the test after `timeoutMs`). */
export async function waitForStatus(app: TestApp, headers: Record<string, string>, id: string, status: string, timeoutMs = 60_000): Promise<CreativeView> {
  const deadline = Date.now() + timeoutMs;
  let last: CreativeView | undefined;
  while (Date.now() < deadline) {
    last = await creative(app, headers, id);
    if (last.offloadStatus === status) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`creative ${id} did not reach ${status} in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
}

/** A real PNG (solid colour), so a browser can render it: tests check what a user would see. */
export function writePng(resultsDir: string, relative: string, width: number, height: number): void {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0)]);
  for (let x = 0; x < width; x++) row.set([243, 128, 32], 1 + x * 3);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const file = path.join(resultsDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', pixels),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/**
 * An app whose worker offloads to Cloudflare R2 on the S3 test server (with the full key),
 * selected as Default Storage; `r2` overrides those settings, `env` the app's. Returns the app
 * and a platform token's headers.
 */
export async function startOffloadingApp(
  env: Record<string, string>,
  r2: Record<string, unknown>,
): Promise<{ app: TestApp; platform: Record<string, string> }> {
  const app = await startTestApp({ LICENSE_TYPE: 'extended', OFFLOAD_WORKER: 'true', ...env });
  await configureR2(app, r2OnTestServer(s3TestTarget().full, { enabled: true, ...r2 }));
  await app.graphql('mutation { setDefaultStorage(storage: CLOUDFLARE_R2) { effective { key } } }', {}, await app.adminHeaders());
  return { app, platform: await app.tokenHeaders(['CREATIVES_WRITE', 'CREATIVES_READ']) };
}
