import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspaces (the `roar-source` export condition);
// processes that tests spawn run the built `dist/` output, which `npm test` builds first.
const resolve = { conditions: ['roar-source', 'module', 'node', 'development|production'] };

/** Tests that measure latency or push the machine: run alone, after the rest, on a quiet machine. */
const HEAVY = [
  'services/gateway/test/load.e2e.test.ts',
  // Measures a control viewer's latency under ~20,000 hostile frames.
  'services/gateway/test/fuzz.e2e.test.ts',
  'loadtest/test/**/*.test.ts',
  // Real Chromium against a real gateway: a browser per file, too much beside other suites.
  'services/gateway/test/browser/**/*.test.ts',
  // npm pack and npm install into a scratch project, tsc and esbuild there: minutes of CPU.
  'packages/client/test/pack.int.test.ts',
  // The image's build steps (npm ci, the build, npm prune) on a clean copy of the tree.
  'infra/test/image.test.ts',
];

/**
 * The fault suite: real nats-server, redis-server, gateways and aggregators as separate processes,
 * killed, paused (SIGSTOP) and restarted against a known truth. Timing matters, so one file at a
 * time, after the main project.
 */
const FAULTS = ['**/test/faults/**/*.test.ts'];

export default defineConfig({
  resolve,
  ssr: { resolve },
  test: {
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'infra/test/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', ...HEAVY, ...FAULTS],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: HEAVY,
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: FAULTS,
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
