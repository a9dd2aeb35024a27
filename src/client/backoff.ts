/**
 * Reconnect delay with exponential backoff and full jitter: a uniform draw in
 * `[0, min(max, min * 2^attempt))`. `attempt` counts the failed tries since the
 * socket was last open (0 for the first retry). Full jitter spreads a crowd of
 * clients that lost one server over the whole window instead of stampeding it.
 */
export function backoffDelay(
  attempt: number,
  min: number,
  max: number,
  random: () => number,
): number {
  return random() * Math.min(max, min * Math.pow(2, attempt));
}
