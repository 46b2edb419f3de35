import type { TestProject } from 'vitest/node';
import { ensureTestPostgres } from './postgres.js';

export default async function setup(project: TestProject) {
  const postgres = await ensureTestPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
