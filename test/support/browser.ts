import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requiredInCi } from './required-in-ci';
import {
  chromium,
  type Browser,
  type LaunchOptions,
  type Page,
} from 'playwright-core';

/** Debian's Chromium; CI installs it (.ci/run). Playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Under CI=true a missing Chromium fails the browser suites instead of skipping them. */
export const hasChromium = requiredInCi(
  CHROMIUM_PATH,
  existsSync(CHROMIUM_PATH),
);

/** Where browser tests leave screenshots (gitignored). */
export const ARTIFACTS_DIR = join(__dirname, '..', '..', 'test-artifacts');

/** Says loudly that a browser suite is skipped, so a green run cannot hide it. */
export function warnNoChromium(suite: string): void {
  if (hasChromium) return;
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!!! ${suite}: SKIPPED — ${CHROMIUM_PATH} is missing.\n` +
      `!!! These are the only tests in a real browser. Install it: apt-get install chromium\n${line}\n`,
  );
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Launches headless Chromium. `launch` (not `launchPersistentContext`) gives every
 * launch a fresh temporary profile (`--user-data-dir` in the temp dir), deleted by
 * `browser.close()`: no state leaks from one run into the next.
 */
export async function launchChromium(
  options: LaunchOptions = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    timeout: 15_000,
    ...options,
  });
}

/** A screenshot path in test-artifacts/, creating the directory. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}

/**
 * The few browser globals the functions below use inside the page. (The project's
 * tsconfig has no DOM lib; these functions are serialized and run in the page.)
 */
interface PageGlobals {
  document: {
    getElementById(id: string): { dataset: { state?: string } } | null;
  };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: object): void;
  };
  seenStates?: string[];
}

/**
 * Starts recording every value `#state[data-state]` takes in the page (the sample
 * shows `rt.onState` there), so a short-lived state is not missed.
 */
export async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const page = globalThis as unknown as PageGlobals;
    const element = page.document.getElementById('state');
    if (!element) throw new Error('the page has no #state');
    const seen: string[] = [];
    page.seenStates = seen;
    new page.MutationObserver(() =>
      seen.push(element.dataset.state ?? ''),
    ).observe(element, { attributes: true, attributeFilter: ['data-state'] });
  });
}

/** Waits until the recorded states contain `states` in this order (bounded). */
export async function waitForStates(
  page: Page,
  states: string[],
  timeout: number,
): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const seen = (globalThis as unknown as PageGlobals).seenStates ?? [];
      let at = 0;
      for (const state of seen) if (state === expected[at]) at++;
      return at >= expected.length;
    },
    states,
    { timeout },
  );
}
