import { defineConfig } from 'vitest/config';

// Tests name NUT's own programs (upsc, upsrw, upslog…) bare, meaning the oracle on the PATH. npm
// puts this project's node_modules/.bin, which holds our commands of the same names, first:
// take it out so a comparison never runs ours twice. Ours are run by their dist/ paths.
process.env.PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !/node_modules[\\/]\.bin$/.test(dir))
  .join(':');

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup: ['test/helpers/traversable-checkout.ts'],
          include: ['core/test/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'compat',
          globalSetup: ['test/helpers/traversable-checkout.ts'],
          include: ['test/compat/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // as root, every program of ours a test starts switches to `nut` or does not start
          // (test/helpers/run-user.ts)
          env: process.getuid?.() === 0 ? { NUT_RUN_AS_USER: 'nut' } : {},
        },
      },
    ],
  },
});
