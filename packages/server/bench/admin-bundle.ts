/**
 * The JavaScript a browser downloads for the admin's first screen: the entry script and the
 * modules it preloads, as listed in the built index.html, gzip-compressed (level 9, like a CDN).
 * Usage: pnpm bench (builds the admin first).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, round, writeResult } from './lib.js';

const dist = path.join(repoRoot, 'packages/admin/dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => (m[1] ?? m[2])!);
if (!scripts.length) throw new Error('no scripts found in the built index.html');
const files = scripts.map((src) => {
  const body = readFileSync(path.join(dist, src.replace(/^\/app\/admin\//, '')));
  return { file: path.basename(src), kB: round(body.length / 1000), gzipKB: round(gzipSync(body, { level: 9 }).length / 1000) };
});
const gzipKB = round(files.reduce((n, f) => n + f.gzipKB, 0));
writeResult('admin-bundle', {
  firstScreenJsGzipKB: gzipKB,
  firstScreenJsKB: round(files.reduce((n, f) => n + f.kB, 0)),
  files,
  targets: { under250KB: gzipKB <= 250 },
});
