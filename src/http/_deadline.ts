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
//
// On Deno the shared timer is not a setTimeout: Deno's setTimeout loads its Node-compatible
// timers on first use (15–25 ms and 3 MiB, the largest single cost of a short program such as
// `kog` with a cached token; bench/cli.ts). AbortSignal.timeout's timer is the runtime's own and
// unreferenced; AbortSignal's own addEventListener references it while the signal has abort
// listeners, EventTarget's does not, so the listener is added through EventTarget's. Should a
// Deno release reference it all the same, tests/support/timer_probe.ts (run by a hot-path
// conformance case) fails: the program would no longer exit by itself.

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
  #armed?: boolean;
  /** Whether each deadline gets a timer of its own: this runtime's cannot be unreferenced. */
  #own?: boolean;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Starts a deadline `ms` from now. End it with {@linkcode Deadlines.end}. */
  start(): Deadline {
    const controller = new AbortController();
    const deadline: Deadline = { controller, at: Date.now() + this.#ms };
    if (this.#own) own(deadline, this.#ms);
    else {
      this.#pending.add(deadline);
      if (!this.#armed) this.#arm(this.#ms);
    }
    return deadline;
  }

  /** Ends a deadline: its request got its answer (or failed) in time. */
  end(deadline: Deadline): void {
    if (deadline.timer !== undefined) clearTimeout(deadline.timer);
    else this.#pending.delete(deadline);
  }

  #arm(delay: number): void {
    if ("Deno" in globalThis) {
      EventTarget.prototype.addEventListener.call(AbortSignal.timeout(delay), "abort", this.#fire);
    } else {
      const timer = setTimeout(this.#fire, delay) as unknown as { unref?: () => void } | number;
      if (typeof timer === "object" && typeof timer.unref === "function") timer.unref();
      else {
        // No ref/unref: a shared timer could keep a program alive for a whole timeout after
        // its last request. Give the pending deadlines their own timers from now on.
        this.#own = true;
        clearTimeout(timer as ReturnType<typeof setTimeout>);
        // A deadline already passed gets a negative delay: timers take it as 0.
        const now = Date.now();
        for (const deadline of this.#pending) own(deadline, deadline.at - now);
        this.#pending.clear();
        return;
      }
    }
    this.#armed = true;
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
      // Abort listeners run here, and may start requests: those see a timer still set, and
      // join the set, whose iteration visits them: `next` is the oldest deadline left.
      deadline.controller.abort();
    }
    this.#armed = false;
    // Never longer than one timeout, should the wall clock have been set back.
    if (next) this.#arm(Math.min(this.#ms, Math.max(1, next.at - Date.now() + 1)));
  };
}

/** Gives `deadline` a timer of its own, `ms` from now. */
function own(deadline: Deadline, ms: number): void {
  deadline.timer = setTimeout(() => deadline.controller.abort(), ms);
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
