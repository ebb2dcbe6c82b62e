import { defineConfig } from 'vitest/config';

// The Swarm suite (issue 18): extra Docker engines in network namespaces, apps moved between them.
// Its own step after the main suite (`npm test` runs both): it loads the machine's loop devices,
// mounts and engines heavily, and the main suite's timing-sensitive tests must not share the
// machine with it. Each file brings up a Swarm set of its own name.
export default defineConfig({
  test: {
    include: ['test/swarm*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/test-results-swarm.json' }]] : ['default'],
  },
});
