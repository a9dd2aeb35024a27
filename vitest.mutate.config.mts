import { defineConfig } from 'vitest/config';

// The fast, pure unit tests that `npm run mutate` (stryker.config.mjs) runs once per
// mutant: no Nest app, no socket, no Redis. Keep it that way, or the run stops being
// a habit (see docs/mutation.md).
export default defineConfig({
  oxc: {
    decorator: { legacy: true, emitDecoratorMetadata: true },
  },
  test: {
    // test/channel-pattern.spec.ts checks ChannelPattern against a regular-expression
    // oracle (fast-check). test/identity.spec.ts is left out: its 10,000-id uniqueness
    // run costs a second per mutant and kills nothing test/unit/identity.spec.ts misses.
    include: ['test/unit/**/*.spec.ts', 'test/channel-pattern.spec.ts'],
    testTimeout: 5_000,
    hookTimeout: 5_000,
    reporters: ['dot'],
  },
});
