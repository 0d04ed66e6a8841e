// The network of Deno, Bun and Node: the adapter's `fetch` where the options give none, and
// failed requests turned into KognicAuthErrors by the classifier of ./network_failure.ts. The
// classifier is imported here on the first failure, so that a program whose requests succeed
// never loads it; the adapters' proxy layer, loaded on the first request where a proxy is
// configured, imports it too. Not part of the public API; the edge entries never load it.
import type { Failure, FailureOptions, Network } from "../_transport.ts";
import { lazily } from "../_util.ts";
import type { Runtime } from "./mod.ts";
import { detectRuntime } from "./detect.ts";

// One import, shared by concurrent first failures; a failed one is tried again.
const classifier = lazily(() => import("./network_failure.ts"));

/**
 * Turns a failed `fetch` into a KognicAuthError with the most specific code the runtime's error
 * allows (see `networkFailure` in ./network_failure.ts), loading the classifier on first use.
 */
export async function networkFailure(error: unknown, options: FailureOptions): Promise<Failure> {
  return (await classifier()).networkFailure(error, options);
}

let detected: Runtime | undefined;

/**
 * The network of the runtime this code runs on: its adapter's `fetch`, with the proxy variables
 * as they are when it is taken (before the runtime is known, a `fetch` that waits for it), and
 * {@linkcode networkFailure}.
 */
export const runtimeNetwork: Network = {
  fetch() {
    if (detected) return detected.fetch;
    const send = detectRuntime().then((runtime) => (detected = runtime).fetch);
    return async (input, init) => (await send)(input, init);
  },
  failure: networkFailure,
};
