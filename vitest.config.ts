import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration files share one engine; running them one after another keeps their timings honest.
    fileParallelism: false,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        // The Engine interface against the fake and every engine of the test bed
        // (test/support/engines.ts): one run covers them all.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // No registry here: probes run in the locally built busybox image.
          env: {
            STACKCHECK_PROBE_IMAGE: 'stackcheck-fixture/busybox:1',
            // Network faults: iptables, tc and node, built from this host's binaries.
            STACKCHECK_FAULT_IMAGE: 'stackcheck-fixture/nettools:1',
          },
        },
      },
    ],
  },
});
