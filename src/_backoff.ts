// The one backoff rule of every retry and poll: exponential with full jitter and a cap. Not
// part of the public API.

/**
 * How long to wait after attempt `attempt` (1 for the first) failed: a random time between 0 and
 * `min(cap, base * 2 ** (attempt - 1))` ("full jitter"), so that clients that failed together
 * do not retry together.
 *
 * @param attempt The attempt that failed, from 1.
 * @param base The longest wait after the first attempt, in milliseconds.
 * @param cap The longest wait after any attempt, in milliseconds.
 * @param random A number in [0, 1); default `Math.random` (tests pass their own).
 * @returns The wait in milliseconds.
 */
export function backoff(
  attempt: number,
  base: number,
  cap: number,
  random: () => number = Math.random,
): number {
  return random() * Math.min(cap, base * 2 ** (attempt - 1));
}
