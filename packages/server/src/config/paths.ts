import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The server package's folder, found from wherever this code runs — `src/config/` under tsx,
 * `dist/` in the compiled build — as the nearest folder up whose package.json is @offload/server.
 */
function findServerRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@offload/server') return dir;
    if (path.dirname(dir) === dir) throw new Error(`@offload/server's package.json not found above ${from}`);
  }
}

export const SERVER_ROOT = findServerRoot(path.dirname(fileURLToPath(import.meta.url)));
/** The repository root: embedded defaults (data, results) live under `<root>/.data`; the admin SPA's build in packages/admin/dist. */
export const REPO_ROOT = path.resolve(SERVER_ROOT, '../..');
