import { configDefaults, defineConfig } from 'vitest/config';

// Tests run against the build in dist/ (`npm test` builds first): the code under
// test is exactly what ships, Swagger plugin metadata included.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Swarm suite runs as a step of its own: vitest.swarm.config.ts.
    exclude: [...configDefaults.exclude, 'test/swarm*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // CI also keeps a machine-readable summary, from which .ci/run prints a plain closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/test-results.json' }]] : ['default'],
  },
});
