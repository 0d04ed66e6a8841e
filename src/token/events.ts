// A provider's listeners: held strongly (`subscribe`) or weakly (a client's, so that a provider
// shared by many clients never keeps a dropped client alive), called synchronously, and never
// failing the token request that an event reports. Not part of the public API.
import type { TokenEvent } from "./types.ts";

/**
 * The method of a provider that subscribes a listener weakly (for clients).
 *
 * @internal
 */
export const SUBSCRIBE_WEAKLY: unique symbol = Symbol();

/**
 * The key of the log line an event carries where its wording loads only with its emitter (the
 * credentials events of rotation): a listener logs it without loading that wording itself.
 *
 * @internal
 */
export const MESSAGE: unique symbol = Symbol();

/** How a provider holds a listener: strongly (`subscribe`) or through a `WeakRef`. @internal */
export type ListenerRef = { deref(): ((event: TokenEvent) => void) | undefined };

/** Adds `ref`, dropping the listeners collected meanwhile; returns the unsubscribe function. */
export function listen(listeners: Set<ListenerRef>, ref: ListenerRef): () => void {
  for (const other of listeners) if (!other.deref()) listeners.delete(other);
  listeners.add(ref);
  return () => void listeners.delete(ref);
}

/** Calls every live listener with `event`; what a listener throws is ignored. */
export function emit(listeners: Set<ListenerRef>, event: TokenEvent): void {
  for (const ref of listeners) {
    const listener = ref.deref();
    if (listener) {
      try {
        listener(event);
      } catch {
        // A listener's failure is not the token request's.
      }
    } else listeners.delete(ref);
  }
}
