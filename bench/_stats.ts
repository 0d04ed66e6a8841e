// Statistics and formatting shared by the benchmarks. Bench-only code, not part of the package.

/** The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** `min–max` of `values`, formatted with `digits` decimals. */
export function spread(values: readonly number[], digits = 2): string {
  if (values.length === 0) return "–";
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

/** A number with thousands grouped by a thin space, rounded to an integer. */
export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

/** A number with `digits` decimals, or "–" when it is not finite. */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** Runs the garbage collector when the runtime exposes it (node/deno --expose-gc, Bun). */
export function collectGarbage(): void {
  const global = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (global.Bun) global.Bun.gc(true);
  else global.gc?.();
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One caller taking turns request by request with every variant (each turn starts at the next
 * one, so all meet the same disturbances), for `rounds` rounds of `ms` after one warm-up round;
 * each response's body read. Returns per variant its median µs of each round. `afterTurn` runs
 * after every turn (to trim a test server's request log, say).
 */
export async function takeTurns(
  variants: readonly (() => Promise<Response>)[],
  rounds: number,
  ms: number,
  afterTurn: () => void = () => {},
): Promise<number[][]> {
  const times: number[][] = variants.map(() => []);
  const medians: number[][] = variants.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (const list of times) list.length = 0;
    const end = performance.now() + ms;
    for (let turn = 0; performance.now() < end; turn++) {
      for (let i = 0; i < variants.length; i++) {
        const which = (i + turn) % variants.length;
        const start = performance.now();
        const response = await variants[which]();
        await response.arrayBuffer();
        times[which].push(performance.now() - start);
      }
      afterTurn();
    }
    if (round >= 0) times.forEach((list, i) => medians[i].push(median(list) * 1000));
  }
  return medians;
}
