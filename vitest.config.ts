import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspaces (the `roar-source` export condition);
// processes that tests spawn run the built `dist/` output, which `npm test` builds first.
export default defineConfig({
  resolve: { conditions: ['roar-source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['roar-source', 'module', 'node', 'development|production'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'loadtest/test/**/*.test.ts',
    ],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
