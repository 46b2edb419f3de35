import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { TestApp } from './harness.js';

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
  return app.graphql<{ finalizeCreative: CreativeView }>(`mutation($input: FinalizeCreativeInput!) { finalizeCreative(input: $input) { ${CREATIVE_FIELDS} } }`, { input }, headers);
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
