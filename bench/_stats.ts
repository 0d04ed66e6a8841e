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
