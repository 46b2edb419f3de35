import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startGcsServer } from './gcs-server/server.js';
import { TEST_BUCKETS } from './gcs-server/test-buckets.js';
import { ensureTestPostgres } from './postgres.js';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function setup(project: TestProject) {
  // Server processes in the tests run the compiled build, as production does (it takes a second).
  execFileSync(process.execPath, ['build.mjs'], { cwd: serverDir, stdio: 'inherit' });
  const postgres = await ensureTestPostgres();
  project.provide('postgresUrl', postgres.url);
  // The GCS test server (test/gcs.ts); server processes that e2e tests start find it in the environment.
  const gcs = await startGcsServer({ buckets: [{ name: TEST_BUCKETS.private }, { name: TEST_BUCKETS.public, public: true }] });
  project.provide('gcsEndpoint', gcs.url);
  process.env.GCS_TEST_ENDPOINT ??= gcs.url;
  return async () => {
    await gcs.close();
    await postgres.stop();
  };
}
