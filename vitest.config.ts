import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Compiles the build that the `metarl` commands the tests start run (scripts/build.mjs).
    globalSetup: ['test/global-setup.ts'],
    // Each file runs in its own process: backends and the second-order fix are process-global,
    // and one test file deliberately runs without the fix.
    pool: 'forks',
    isolate: true,
    // Two files at a time on the 2-core CI machine (vitest's default there is one, cores − 1): most
    // e2e tests wait on CLI child processes, so the suite takes 465 s instead of 605 s.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
