import { defineConfig } from 'vitest/config';

// Tests sit next to the code (*.test.ts); end-to-end tests that spawn bin/appt live in test/e2e/.
export default defineConfig({
  test: {
    include: ['{cli,server,shared,scripts,test}/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
