import type { SerializedError } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain line, `Tests: N passed, N failed, N skipped`, that CI can
 * read. A failed hook (beforeAll/afterAll), a file that failed to load and an unhandled
 * error each count as a failure, so a broken teardown never prints "0 failed".
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      failed += testModule.errors().length;
      for (const suite of testModule.children.allSuites())
        failed += suite.errors().length;
      if (
        testModule.state() === 'failed' &&
        testModule.errors().length === 0 &&
        testModule.children.size === 0
      )
        failed++;
    }
    process.stdout.write(
      `\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}
