// Internal helpers shared by the core, errors first: then URLs, time and signals, bodies, dates.
// Not part of the public API.
import { KognicAuthError } from "./errors.ts";

/**
 * Marks an error of this library as final: another attempt cannot help, whatever its code says
 * (a proxy's refusal of a tunnel is `PROXY_FAILED` as a passing failure of the proxy is).
 * Non-enumerable, so that it does not show where the error is printed.
 */
export function final<T extends object>(error: T): T {
  return Object.defineProperty(error, FINAL, { value: 1 });
}
const FINAL = Symbol();

/**
 * Whether an error of this library is a passing failure of the connection that another attempt
 * may not meet (a proxy that could not be reached or failed), unless marked {@linkcode final};
 * every other one is a refusal.
 */
export function isTransient(error: { code?: string; [FINAL]?: number }): boolean {
  return !error[FINAL] && /^PROXY_(UNREACHABLE|FAILED)$/.test(error.code!);
}

/** The reason a fired `AbortSignal` carries, or a fresh `ABORTED` error. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new KognicAuthError("ABORTED", "The operation was aborted");
}

/**
 * An error's message for another message: the messages and codes along its `cause` chain (four
 * deep), such as `fetch failed: connect ECONNREFUSED 127.0.0.1:1: ECONNREFUSED`.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let item = error, depth = 0; item !== undefined && depth < 4; depth++) {
    if (item && typeof item === "object") {
      const { code, message } = item as { code?: unknown; message?: unknown };
      if (typeof message === "string" && message && !parts.includes(message)) parts.push(message);
      if (typeof code === "string" && !parts.some((part) => part.includes(code))) parts.push(code);
      item = (item as { cause?: unknown }).cause;
    } else {
      parts.push(String(item));
      break;
    }
  }
  return parts.join(": ");
}

/**
 * Replaces every occurrence of each secret in `text` with `mask`. Secrets shorter than 4
 * characters are left: hiding them would garble the text and give them away.
 */
export function redact(
  text: string,
  secrets: readonly (string | undefined)[],
  mask = "[REDACTED]",
): string {
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join(mask);
  }
  return text;
}

/** Whether a parsed JSON value is an object (not `null`, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Quotes a value for an error message. */
export function quote(value: unknown): string {
  return JSON.stringify(String(value));
}

/** Whether a URL's host is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`). */
export function isLoopback(url: URL): boolean {
  return /^((.*\.)?localhost|\[::1\]|127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.test(url.hostname);
}

/**
 * Refuses a URL that would carry a secret in clear text: anything but `https:`, except `http:`
 * to a loopback host, unless `allowInsecureHttp` is set.
 */
export function assertSecureUrl(url: URL, what: string, allowInsecureHttp?: boolean): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && (allowInsecureHttp || isLoopback(url))) return;
  throw new KognicAuthError(
    "INSECURE_URL",
    `Refusing to send credentials to ${what} ${quote(url.origin)}: ` +
      (url.protocol === "http:"
        ? "plain http is only allowed for loopback hosts unless allowInsecureHttp is set"
        : `unsupported protocol ${quote(url.protocol)}`),
    { source: url.origin },
  );
}

/** Waits `ms` milliseconds, or rejects as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return withSignal(new Promise<void>((resolve) => timer = setTimeout(resolve, ms)), signal)
    .finally(() => clearTimeout(timer));
}

/** Without `AbortSignal.any`: the controllers each followed signal aborts, held weakly. */
const followers = new WeakMap<AbortSignal, Set<{ deref(): AbortController | undefined }>>();
/** Keeps each such controller alive for as long as its signal is (a request may hold it). */
const owners = new WeakMap<AbortSignal, AbortController>();

/**
 * A signal that aborts when either does: `AbortSignal.any` where the runtime has it; elsewhere
 * (Vercel's Edge Runtime) a controller that the first of them aborts. As `AbortSignal.any`
 * does, each source signal gets one listener however many signals follow it, and holds those
 * weakly: a long-lived caller signal gathers neither listeners nor controllers of requests
 * long done, and still aborts a response body that is being read.
 */
export function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (AbortSignal.any) return AbortSignal.any([a, b]);
  const controller = new AbortController();
  owners.set(controller.signal, controller);
  // (Every runtime that lacks AbortSignal.any has WeakRef.)
  const ref = new WeakRef(controller);
  for (const signal of [a, b]) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    let refs = followers.get(signal);
    if (!refs) {
      const set = refs = new Set();
      followers.set(signal, set);
      signal.addEventListener("abort", () => {
        for (const each of set) each.deref()?.abort(signal.reason);
        set.clear();
      }, { once: true });
    }
    // Now and then (when the count doubles, so a call costs O(1) on average), drop the
    // followers that were collected or aborted already.
    if (refs.size > 0 && (refs.size & (refs.size - 1)) === 0) {
      for (const each of refs) if (!each.deref() || each.deref()!.signal.aborted) refs.delete(each);
    }
    refs.add(ref);
  }
  return controller.signal;
}

/** Races a promise against an `AbortSignal`, leaving the promise itself running. */
export function withSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Reads a response body as text, at most `limit` bytes; a longer body is cut there and
 * `truncated` is set. The rest of the body is cancelled.
 */
export async function readText(
  response: Response,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the rest of the body.
  for await (const chunk of response.body ?? []) {
    chunks.push(chunk.subarray(0, limit - size));
    size += chunk.byteLength;
    if (size > limit) break;
  }
  // Without a byte order mark, as TextDecoder reads it (workerd's Blob.text() keeps it).
  return {
    text: (await new Blob(chunks as BlobPart[]).text()).replace(/^\uFEFF/, ""),
    truncated: size > limit,
  };
}

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO 8601 date-time such as `2025-01-31T12:00:00.1234567Z`, allowing more than
 * three fractional digits (Python writes six) and treating a missing offset as UTC.
 * Returns `undefined` for anything it cannot parse.
 */
export function parseIsoDate(text: string): Date | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, day, time, fraction = "", zone = "Z"] = match;
  const millis = (fraction + "000").slice(0, 3);
  const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const seconds = time.length === 5 ? `${time}:00` : time;
  const date = new Date(`${day}T${seconds}.${millis}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP date. Returns milliseconds from `now`
 * (never negative), or `undefined` when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim() ?? "";
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate and the obsolete RFC 850 form (both GMT, as RFC 9110 asks recipients to read).
  const date = /^[A-Za-z]+, .+ GMT$/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Makes the first letter of a message upper case. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Bytes as lower-case hexadecimal. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Loading a part on first use: returns a function that calls `load` on its first call and hands
 * every caller the same promise (one `import()` shared by concurrent first uses), until that
 * promise rejects: a module that could not be fetched or evaluated is loaded again on the next
 * call, not kept failed.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    loading ??= load().catch((error) => {
      loading = undefined;
      throw error;
    });
}
