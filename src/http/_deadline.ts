// Per-request timeouts that share one timer. Internal to the core; not part of the public API.
//
// A timer per request (setTimeout + clearTimeout) costs about as much as the rest of the
// library's work on a cached-token request; on Deno several times more. Here every request
// still gets its own AbortController (so a timeout aborts only the requests that took too long,
// and a response's body is never aborted by another request's deadline), but all requests with
// the same timeout share one timer: deadlines of equal length expire in the order they were
// started, so the timer only ever waits for the oldest pending one.
//
// The shared timer is unreferenced: it never keeps a program alive by itself (a pending request
// does, by its connection), so it may stay armed while no request is pending, and no request
// pays for arming or clearing it. Where timers cannot be unreferenced (workerd and browsers,
// where setTimeout returns a number), each request gets its own timer as before.

/** One pending request's deadline: abort `controller` when it passes. */
export interface Deadline {
  readonly controller: AbortController;
  /** When it passes, in `Date.now()` milliseconds. */
  readonly at: number;
  /** The request's own timer, where timers cannot be shared. */
  timer?: ReturnType<typeof setTimeout>;
}

/** Deadlines of one length, on one timer. */
export class Deadlines {
  readonly #ms: number;
  /** The pending deadlines, oldest first (a Set keeps insertion order). */
  readonly #pending = new Set<Deadline>();
  #armed = false;
  /** Whether this runtime's timers can be unreferenced; unknown until the first timer. */
  #shareable?: boolean;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Starts a deadline `ms` from now. End it with {@linkcode Deadlines.end}. */
  start(): Deadline {
    const controller = new AbortController();
    const deadline: Deadline = { controller, at: Date.now() + this.#ms };
    if (this.#shareable === false) {
      deadline.timer = setTimeout(() => controller.abort(), this.#ms);
      return deadline;
    }
    this.#pending.add(deadline);
    if (!this.#armed) this.#arm(this.#ms);
    return deadline;
  }

  /** Ends a deadline: its request got its answer (or failed) in time. */
  end(deadline: Deadline): void {
    if (deadline.timer !== undefined) clearTimeout(deadline.timer);
    else this.#pending.delete(deadline);
  }

  #arm(delay: number): void {
    const timer = setTimeout(this.#fire, delay) as unknown as { unref?: () => void } | number;
    if (typeof timer === "object" && typeof timer.unref === "function") {
      timer.unref();
      this.#shareable = true;
      this.#armed = true;
      return;
    }
    // No ref/unref: a shared timer could keep a program alive for a whole timeout after its
    // last request. Give the pending deadlines their own timers from now on.
    this.#shareable = false;
    clearTimeout(timer as ReturnType<typeof setTimeout>);
    const now = Date.now();
    for (const deadline of this.#pending) {
      const { controller } = deadline;
      deadline.timer = setTimeout(() => controller.abort(), Math.max(0, deadline.at - now));
    }
    this.#pending.clear();
  }

  /** The timer: aborts every deadline that passed, then waits for the oldest one left. */
  #fire = (): void => {
    // Date.now() rather than performance.now(), which is slower on some runtimes; timers may
    // fire a little early by it: a millisecond of slack.
    const now = Date.now() + 1;
    let next: Deadline | undefined;
    for (const deadline of this.#pending) {
      if (deadline.at > now) {
        next = deadline;
        break;
      }
      this.#pending.delete(deadline);
      // Abort listeners run here, and may start requests: those see a timer still set.
      deadline.controller.abort();
    }
    this.#armed = false;
    next ??= this.#pending.values().next().value;
    // Never longer than one timeout, should the wall clock have been set back.
    if (next) this.#arm(Math.min(this.#ms, Math.max(1, next.at - Date.now() + 1)));
  };
}

const byLength = new Map<number, Deadlines>();

/** The shared deadlines of length `ms` (a few lengths are kept; others get their own). */
export function deadlinesOf(ms: number): Deadlines {
  let deadlines = byLength.get(ms);
  if (!deadlines) {
    deadlines = new Deadlines(ms);
    if (byLength.size < 16) byLength.set(ms, deadlines);
  }
  return deadlines;
}
