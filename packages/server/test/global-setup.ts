import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureTestPostgres } from './postgres.js';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function setup(project: TestProject) {
  // Server processes in the tests run the compiled build, as production does (it takes a second).
  execFileSync(process.execPath, ['build.mjs'], { cwd: serverDir, stdio: 'inherit' });
  const postgres = await ensureTestPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
