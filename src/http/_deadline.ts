// Per-request timeouts that share one timer. Internal to the core; not part of the public API.
//
// A timer per request (setTimeout + clearTimeout) costs about as much as the rest of the
// library's work on a cached-token request; on Deno several times more. Here every request
// still gets its own AbortController (so a timeout aborts only the requests that took too long,
// and a response's body is never aborted by another request's deadline), but requests share
// one timer: those of one timeout that start within the same TICK milliseconds form a
// generation, one list of controllers due a timeout after the last moment it takes requests, so
// a request is aborted at most TICK milliseconds after its deadline, never before. Generations of
// equal timeouts fall due in the order they started, so the timer waits for the oldest. A request
// reads the clock once and takes a slot in its generation's list, no object or Set entry of its
// own; one that ends empties its slot, a generation whose requests all ended starts a new list,
// and one left empty when the next starts is dropped. (Closing generations by a timer instead of
// the clock read woke the event loop every TICK ms while requests were pending: 1.4–3.7 % slower
// over loopback on Bun, Deno and Node; bench/README.md.)
//
// The timers are unreferenced: they never keep a program alive by themselves (a pending request
// does, by its connection). Where timers cannot be unreferenced (workerd and browsers, where
// setTimeout returns a number), each request gets its own timer.
//
// On Deno the shared timers are not setTimeout: Deno's setTimeout loads its Node-compatible
// timers on first use (15–25 ms and 3 MiB, the largest single cost of a short program such as
// `kog` with a cached token; bench/cli.ts). AbortSignal.timeout's timer is the runtime's own and
// unreferenced; AbortSignal's own addEventListener references it while the signal has abort
// listeners, EventTarget's does not, so the listener is added through EventTarget's. Should a
// Deno release reference it all the same, tests/support/timer_probe.ts (run by a hot-path
// conformance case) fails: the program would no longer exit by itself.

/** How long a generation takes requests, in milliseconds: the most a deadline is late by. */
const TICK = 4;
/**
 * How many requests a generation takes: an ending request looks for its slot in its
 * generation's list, so a burst of requests in one TICK fills several short lists rather than
 * one long one, whose searches would grow with the square of the burst.
 */
const SLOTS = 64;

/** Requests of one timeout that started together: their controllers, and when they are due. */
interface Generation {
  /** The controllers of the pending requests; an ended request's slot is emptied. */
  list: (AbortController | undefined)[];
  /** How many requests are pending. */
  open: number;
  /** When it is due, in `Date.now()` milliseconds: a timeout after it stops taking requests. */
  readonly at: number;
}

/** A started deadline, for {@linkcode Deadlines.end}. */
export type Deadline = Generation | ReturnType<typeof setTimeout>;

/** Deadlines of one length, on shared timers. */
export class Deadlines {
  readonly #ms: number;
  /** The generations, due in this order; the last takes the requests starting now. */
  readonly #due: Generation[] = [];
  #armed?: boolean;
  /** Whether each deadline gets a timer of its own: this runtime's cannot be unreferenced. */
  #own?: boolean;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Aborts `controller` once `ms` have passed. End it with {@linkcode Deadlines.end}. */
  start(controller: AbortController): Deadline {
    if (this.#own) return setTimeout(() => controller.abort(), this.#ms);
    const due = this.#due;
    const now = Date.now();
    let generation = due[due.length - 1];
    if (!generation || now + this.#ms > generation.at || generation.list.length === SLOTS) {
      // The last one's requests all ended: nothing to abort when it falls due.
      if (generation && !generation.open) due.pop();
      due.push(generation = { list: [], open: 0, at: now + this.#ms + TICK });
      if (!this.#armed) {
        // No ref/unref: a shared timer could keep a program alive for a whole timeout after
        // its last request. Each request gets a timer of its own from now on.
        if (!later(this.#ms + TICK, this.#fire)) {
          this.#own = true;
          due.length = 0;
          return this.start(controller);
        }
        this.#armed = true;
      }
    }
    generation.list.push(controller);
    generation.open++;
    return generation;
  }

  /** Ends a deadline: its request got its answer (or failed) in time. */
  end(deadline: Deadline, controller: AbortController): void {
    if (this.#own) return clearTimeout(deadline as ReturnType<typeof setTimeout>);
    const { list } = deadline as Generation;
    // From the end: one caller's request, started after every other in its list, is found at
    // once; ended slots before it are not looked at.
    const slot = list.lastIndexOf(controller);
    // Not found: the generation fell due, its requests aborted.
    if (slot < 0) return;
    list[slot] = undefined;
    if (!--(deadline as Generation).open) (deadline as Generation).list = [];
  }

  /** The timer of the oldest generation: aborts those that fell due, then waits. */
  #fire = (): void => {
    // Date.now() rather than performance.now(), which is slower on some runtimes; timers may
    // fire a little early by it: a millisecond of slack.
    const now = Date.now() + 1;
    const due = this.#due;
    while (due.length && due[0].at <= now) {
      const { list } = due.shift()!;
      // Abort listeners run here, and may start requests: those join a new generation.
      for (const controller of list.splice(0)) controller?.abort();
    }
    // Never longer than one timeout, should the wall clock have been set back.
    this.#armed = !!due.length &&
      later(Math.min(this.#ms + TICK, Math.max(1, due[0].at - Date.now() + 1)), this.#fire);
  };
}

/** Calls `then` in `ms` milliseconds on an unreferenced timer; `false` if timers cannot be. */
function later(ms: number, then: () => void): boolean {
  if ("Deno" in globalThis) {
    EventTarget.prototype.addEventListener.call(AbortSignal.timeout(ms), "abort", then);
    return true;
  }
  const timer = setTimeout(then, ms) as unknown as { unref?: () => void } | number;
  if (typeof timer === "object" && typeof timer.unref === "function") {
    timer.unref();
    return true;
  }
  clearTimeout(timer as ReturnType<typeof setTimeout>);
  return false;
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
