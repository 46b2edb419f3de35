import { defineConfig } from 'vitest/config';

// One run over every package: the root global setup provides the PostgreSQL the suites use.
export default defineConfig({
  test: {
    projects: ['packages/server', 'e2e'],
    globalSetup: ['packages/server/test/global-setup.ts'],
    reporters: ['default'],
    // The SDK nags that it will need Node 22 from 2027 (the README says so once); the noise hides real output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
