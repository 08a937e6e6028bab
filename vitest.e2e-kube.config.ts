import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests against the real kube-apiserver + etcd of scripts/testbed.mjs (test/e2e-kube).
 * Kept out of the default `vitest run`: they need Go to build the binaries on first use (10-20 min
 * cold, hence the hook timeout) and share one testbed, so files run one after another.
 */
export default defineConfig({
  test: {
    include: ['test/e2e-kube/**/*.test.ts'],
    globalSetup: ['test/e2e-kube/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 40 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
