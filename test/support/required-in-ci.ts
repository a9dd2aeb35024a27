/**
 * Under CI (`CI=true`) a suite may not skip itself because a tool is missing: `.ci/run`
 * installs every tool, so a missing one is a broken set-up, and a green run must not
 * hide it. Outside CI the suite skips with a loud warning.
 */
export function requiredInCi(tool: string, available: boolean): boolean {
  if (!available && process.env.CI === 'true')
    throw new Error(
      `${tool} is missing but CI=true: .ci/run installs it, so its suites must run, not skip`,
    );
  return available;
}
