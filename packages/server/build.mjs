// The production build: each entry point bundled with our own workspace code (@offload/types
// included) into dist/, run with plain `node`; everything from node_modules stays external.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = Object.keys(manifest.dependencies).filter((name) => !name.startsWith('@offload/'));

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: {
    main: 'src/main.ts',
    'worker-main': 'src/worker-main.ts',
    'reencrypt-settings': 'src/commands/reencrypt-settings.ts',
    tools: 'src/commands/tools.ts',
  },
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  external: [...external, ...external.map((name) => `${name}/*`)],
  sourcemap: true,
  // Stack traces point at src/ (node --enable-source-maps).
  sourcesContent: false,
  tsconfig: 'tsconfig.json',
  logLevel: 'warning',
});
