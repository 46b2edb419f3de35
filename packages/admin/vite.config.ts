import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The SPA is served by the server under /app/admin; the playground is a second page of the
// same build so it shares React and ships nothing from a CDN.
export default defineConfig({
  base: '/app/admin/',
  plugins: [react()],
  build: {
    rollupOptions: {
      input: { index: 'index.html', playground: 'playground.html' },
      // GraphiQL's React-compiler directives are meaningless in a bundle; the warning is noise.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
    chunkSizeWarningLimit: 4096,
  },
  server: {
    proxy: { '/graphql': 'http://127.0.0.1:3000', '/healthz': 'http://127.0.0.1:3000', '/results': 'http://127.0.0.1:3000' },
  },
});
