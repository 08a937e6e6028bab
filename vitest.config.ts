import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
    // test/e2e-kube needs the kube testbed (scripts/testbed.mjs): vitest.e2e-kube.config.ts runs it.
    exclude: [...configDefaults.exclude, 'test/e2e-kube/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
