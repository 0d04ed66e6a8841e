// Per-request timeouts that share one timer. Internal to the core; not part of the public API.
//
// A timer per request (setTimeout + clearTimeout) costs about as much as the rest of the
// library's work on a cached-token request; on Deno several times more. Here every request
// still gets its own AbortController (so a timeout aborts only the requests that took too long,
// and a response's body is never aborted by another request's deadline), but requests share
// timers: those of one timeout that start within the same few milliseconds form a generation,
// one list of controllers; a generation closes TICK milliseconds after its first request and is
// then due one timeout later, so a request is aborted at most TICK milliseconds (and a timer's
// own lateness) after its deadline, never before. Generations of equal timeouts fall due in the
// order they closed, so one timer waits for the oldest. A request reads no clock and takes a slot
// in its generation's list, no object of its own (a clock read, an object and a Set entry per
// request took 0.2–0.4 µs); a request that ends empties its slot, and a generation whose
// requests all ended starts a new list.
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

/** Requests of one timeout that started together: their controllers, and when they are due. */
interface Generation {
  /** The controllers of the pending requests; an ended request's slot is emptied. */
  list: (AbortController | undefined)[];
  /** How many requests are pending. */
  open: number;
  /** When it is due, in `Date.now()` milliseconds, once closed. */
  at: number;
}

/** A started deadline, for {@linkcode Deadlines.end}. */
export type Deadline = Generation | ReturnType<typeof setTimeout>;

/** Deadlines of one length, on shared timers. */
export class Deadlines {
  readonly #ms: number;
  /** The generation that takes the requests starting now. */
  #open?: Generation;
  /** The closed generations, due in this order. */
  readonly #due: Generation[] = [];
  #armed?: boolean;
  /** Whether each deadline gets a timer of its own: this runtime's cannot be unreferenced. */
  #own?: boolean;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Aborts `controller` once `ms` have passed. End it with {@linkcode Deadlines.end}. */
  start(controller: AbortController): Deadline {
    let generation = this.#open;
    if (!generation && !this.#own) {
      if (later(TICK, this.#close)) generation = this.#open = { list: [], open: 0, at: 0 };
      // No ref/unref: a shared timer could keep a program alive for a whole timeout after
      // its last request.
      else this.#own = true;
    }
    if (!generation) return setTimeout(() => controller.abort(), this.#ms);
    generation.list.push(controller);
    generation.open++;
    return generation;
  }

  /** Ends a deadline: its request got its answer (or failed) in time. */
  end(deadline: Deadline, controller: AbortController): void {
    if (this.#own) return clearTimeout(deadline as ReturnType<typeof setTimeout>);
    const { list } = deadline as Generation;
    const slot = list.indexOf(controller);
    // Not found: the generation fell due, its requests aborted.
    if (slot < 0) return;
    list[slot] = undefined;
    if (!--(deadline as Generation).open) (deadline as Generation).list = [];
  }

  /** The open generation's timer: it takes no more requests, and falls due a timeout later. */
  #close = (): void => {
    const generation = this.#open!;
    this.#open = undefined;
    if (!generation.open) return;
    generation.at = Date.now() + this.#ms;
    this.#due.push(generation);
    if (!this.#armed) this.#armed = later(this.#ms, this.#fire);
  };

  /** The timer of the oldest closed generation: aborts those that fell due, then waits. */
  #fire = (): void => {
    // Date.now() rather than performance.now(), which is slower on some runtimes; timers may
    // fire a little early by it: a millisecond of slack.
    const now = Date.now() + 1;
    const due = this.#due;
    while (due.length && due[0].at <= now) {
      const { list } = due.shift()!;
      // Abort listeners run here, and may start requests: those join the open generation.
      for (const controller of list.splice(0)) controller?.abort();
    }
    // Never longer than one timeout, should the wall clock have been set back.
    this.#armed = !!due.length &&
      later(Math.min(this.#ms, Math.max(1, due[0].at - Date.now() + 1)), this.#fire);
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
