import { defineConfig } from 'vitest/config';

// Tests run against the build in dist/ (`npm test` builds first): the code under
// test is exactly what ships, Swagger plugin metadata included.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
