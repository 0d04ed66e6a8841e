/** Shared fixtures of the conformance cases: a server, a fake clock and secret checks. */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { createClient, type KognicClient } from "../../mod.ts";
import { memoryRuntime } from "../../src/runtime/memory.ts";
import { FakeClock } from "./clock.ts";
import {
  CANARY_SECRET,
  createKognicServer,
  type KognicServer,
  type KognicServerOptions,
  TEST_CLIENT_ID,
} from "./kognic_server.ts";

export { CANARY_SECRET, TEST_CLIENT_ID };

/** The in-process hosts: https, so no insecure-transport exception is involved. */
export const AUTH_HOST = "https://auth.kognic.test";
export const API_BASE = "https://app.kognic.test";

/** A credentials document as the Kognic web app writes it, with the canary secret. */
export function credentialsDocument(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    clientId: TEST_CLIENT_ID,
    clientSecret: CANARY_SECRET,
    email: "robot@example.com",
    userId: 4711,
    issuer: "auth.kognic.test",
    name: "Test credentials",
    created: "2025-06-01T10:00:00.123456Z",
    ...overrides,
  };
}

export interface Setup {
  server: KognicServer;
  clock: FakeClock;
  client: KognicClient;
  /** The in-process fetch of the server, typed as `fetch`. */
  fetch: typeof fetch;
}

/** A server on a fake clock and a client wired to it in-process. */
export async function setup(
  server: KognicServerOptions = {},
  client: Parameters<typeof createClient>[0] = {},
): Promise<Setup> {
  const clock = new FakeClock();
  const kognic = createKognicServer({ now: () => clock.now(), ...server });
  const fetcher = kognic.fetch as typeof fetch;
  const created = await createClient({
    auth: [TEST_CLIENT_ID, CANARY_SECRET],
    runtime: memoryRuntime(),
    authHost: AUTH_HOST,
    baseUrl: API_BASE,
    fetch: fetcher,
    clock,
    ...client,
  });
  return { server: kognic, clock, client: created, fetch: fetcher };
}

/** Every printed form of a value: String, JSON, util.inspect, the stack, Deno.inspect. */
export function printedForms(value: unknown): string[] {
  const forms = [
    String(value),
    inspect(value, { depth: 10, showHidden: true }),
    inspect(value, { depth: 10 }),
  ];
  try {
    forms.push(JSON.stringify(value) ?? "");
  } catch (error) {
    forms.push(String(error));
  }
  if (value instanceof Error) {
    forms.push(value.message, value.stack ?? "", inspect(value.cause));
  }
  const deno =
    (globalThis as { Deno?: { inspect(value: unknown, options?: unknown): string } }).Deno;
  if (deno) forms.push(deno.inspect(value, { depth: 10, showHidden: true }));
  return forms;
}

/** Fails if any printed form of `value` contains one of the secrets. */
export function assertNoSecrets(
  value: unknown,
  secrets: readonly string[] = [CANARY_SECRET],
): void {
  for (const form of printedForms(value)) {
    for (const secret of secrets) {
      assert.ok(
        !form.includes(secret),
        `a secret leaked into: ${form.split(secret).join("<SECRET>")}`,
      );
    }
  }
}

/** Runs `fn` and returns what it threw; fails if it did not throw. */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}
