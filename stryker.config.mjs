// Mutation testing (issue #11): `npm run mutate`. Every mutant of the modules below
// where a silent bug is a security or delivery bug must be killed by a fast unit test,
// or be listed in docs/mutation.md with the reason it cannot change behaviour.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.mts', related: true },
  mutate: [
    'src/identity/**/*.ts',
    'src/channels.ts',
    'src/gateway/rate-limiter.ts',
    'src/gateway/connection-limits.ts',
    'src/options/**/*.ts',
    'src/protocol/frames.ts',
    'src/protocol/resume.ts',
    'src/history/**/*.ts',
    'src/registry/memory.registry.ts',
    'src/registry/redis/push-sequence.ts',
    'src/presence/local-presence.ts',
    '!src/**/*.spec.ts',
  ],
  // Tests per mutant chosen from per-test coverage: the run stays in minutes.
  coverageAnalysis: 'perTest',
  // The machines have 2 cores: one test process per core.
  concurrency: 2,
  // A clean clone gives the same result: no reuse of an earlier run.
  incremental: false,
  // Code that runs when a module loads (the option schema's table, DEFAULTS) cannot be
  // re-run per mutant by the Vitest runner: such mutants would be reported as survivors
  // by a module cached from the first run. They are left out; the unit tests pin every
  // default and the README check pins every doc line of that table instead.
  ignoreStatic: true,
  // A mutant that makes a test run this much longer than on the unmutated code is a
  // timeout (an endless loop), counted as detected.
  timeoutMS: 5000,
  timeoutFactor: 1.5,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: {
    logTests: false,
    reportTests: false,
    allowEmojis: false,
  },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // Only what the unit tests need is copied to the sandboxes.
  ignorePatterns: [
    '/bench',
    '/dist*',
    '/docs',
    '/coverage',
    '/reports',
    '/sample',
    '/test-artifacts',
  ],
  thresholds: { high: 90, low: 85, break: 85 },
};
