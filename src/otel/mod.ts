// Over 400 lines as one concern: the library's events and state mapped onto spans and metrics,
// which share each instrumented provider's state.
/**
 * OpenTelemetry traces and metrics for `@kognic/auth`: a span per token request, store
 * operation, lease wait and API call, and metrics for token requests, the life left on the
 * current token, renewals after a 401, store failures, lease waits, API calls, retries and the
 * days left until the credentials expire. It depends on `@opentelemetry/api` alone and uses the
 * global tracer and meter providers (or those given): the application configures the SDK
 * (or, on Deno, `OTEL_DENO=true`). Without an SDK nothing is recorded and a call costs next to
 * nothing. No attribute, event or metric label ever holds a token, a secret, a query string or
 * a header value.
 *
 * One line instruments a client ({@linkcode instrument}), a provider, a token store
 * ({@linkcode instrumentStore}) or every client a program makes ({@linkcode instrumentAll}).
 *
 * @example Every client of the program
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { instrumentAll } from "@kognic/auth/otel";
 *
 * instrumentAll(); // after the OpenTelemetry SDK is set up
 * const kognic = await createClient();
 * await kognic.get("/v1/projects"); // a kognic_auth.api_call span, and its token request's
 * ```
 *
 * @module
 */
import {
  type Attributes,
  context,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { INSTRUMENT_CLIENTS, type KognicClient } from "../http/client.ts";
import { ON_RETRY } from "../http/create_auth_fetch.ts";
import { SENT_TOKENS } from "../http/auth_fetch.ts";
import type { ClientEvent } from "../http/logging.ts";
import type { TokenProvider } from "../token/provider.ts";
import {
  type InternalStore,
  STATE,
  type StoredToken,
  type TokenEvent,
  type TokenStore,
  WAIT,
} from "../token/types.ts";
import { VERSION } from "../version.ts";

/**
 * An OpenTelemetry `TracerProvider` of `@opentelemetry/api`, such as the SDK's
 * `BasicTracerProvider` (described by its one method here, so that this entry's types stand
 * alone).
 */
export interface TracerProviderLike {
  /**
   * Returns a `Tracer`.
   *
   * @param name The instrumentation scope's name.
   * @param version Its version.
   * @returns The tracer.
   */
  getTracer(name: string, version?: string): unknown;
}

/** An OpenTelemetry `MeterProvider` of `@opentelemetry/api`, such as the SDK's. */
export interface MeterProviderLike {
  /**
   * Returns a `Meter`.
   *
   * @param name The instrumentation scope's name.
   * @param version Its version.
   * @returns The meter.
   */
  getMeter(name: string, version?: string): unknown;
}

/** Options of {@linkcode instrument}, {@linkcode instrumentStore} and {@linkcode instrumentAll}. */
export interface InstrumentOptions {
  /** Where spans go; default the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProviderLike;
  /** Where metrics go; default the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProviderLike;
}

/** Options of {@linkcode instrumentStore}. */
export interface InstrumentStoreOptions extends InstrumentOptions {
  /**
   * The store's name in spans, metrics and token events, such as `redis`; default the store's
   * own `name`, or `custom`.
   */
  name?: string;
}

/** The instrumentation scope: the package and its version. */
const SCOPE = "@kognic/auth";
/** Bucket boundaries in seconds for durations, those of the HTTP semantic conventions. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The instruments of one meter. */
interface Instruments {
  tokenRequests: Counter;
  tokenDuration: Histogram;
  renewals: Counter;
  storeErrors: Counter;
  storeDuration: Histogram;
  leaseWaits: Counter;
  leaseDuration: Histogram;
  apiCalls: Counter;
  apiRetries: Counter;
}

/** The tracer, the instruments and the providers watched by one pair of tracer and meter providers. */
class Telemetry {
  readonly #options: InstrumentOptions;
  #tracer?: Tracer;
  #meterProvider?: MeterProvider;
  #instruments?: Instruments;
  /** The instrumented providers, for the observable gauges. */
  readonly providers = new Set<WeakRef<TokenProvider> | { deref(): TokenProvider }>();
  /** The providers already instrumented. */
  readonly instrumented = new WeakSet<TokenProvider>();
  /** The fetch functions this telemetry wrapped. */
  readonly wrapped = new WeakSet<object>();

  constructor(options: InstrumentOptions) {
    this.#options = options;
  }

  tracer(): Tracer {
    return this.#tracer ??= (this.#options.tracerProvider as TracerProvider | undefined ??
      trace.getTracerProvider()).getTracer(SCOPE, VERSION);
  }

  /** Whether spans may be recorded: a tracer provider was given, or the global one is set. */
  tracing(): boolean {
    const provider = this.#options.tracerProvider ?? trace.getTracerProvider();
    return !(provider instanceof ProxyTracerProvider) ||
      provider.getDelegate() !== (noopTracerProvider ??= new ProxyTracerProvider().getDelegate());
  }

  /**
   * The instruments of the current meter provider, or `undefined` while it is the no-op one
   * (the global meter provider has no proxy: a provider registered later is picked up here).
   */
  instruments(): Instruments | undefined {
    const provider = this.#options.meterProvider as MeterProvider | undefined ??
      metrics.getMeterProvider();
    if (provider !== this.#meterProvider) {
      this.#meterProvider = provider;
      const meter = provider.getMeter(SCOPE, VERSION);
      this.#instruments = meter === createNoopMeter() ? undefined : this.#create(meter);
    }
    return this.#instruments;
  }

  #create(meter: Meter): Instruments {
    const counter = (name: string, description: string, unit: string) =>
      meter.createCounter(`kognic_auth.${name}`, { description, unit });
    const histogram = (name: string, description: string) =>
      meter.createHistogram(`kognic_auth.${name}`, {
        description,
        unit: "s",
        advice: { explicitBucketBoundaries: SECONDS },
      });
    // Per auth server, the least value among its providers.
    const gauge = (
      name: string,
      description: string,
      unit: string,
      of: (provider: TokenProvider, now: number) => number | undefined,
    ) =>
      meter.createObservableGauge(`kognic_auth.${name}`, { description, unit })
        .addCallback((result) => {
          for (const [server, left] of this.#least(of)) {
            result.observe(left, { "server.address": server });
          }
        });
    gauge(
      "token.time_left",
      "Seconds of life left on each auth server's current access token (the least among the " +
        "providers of that server)",
      "s",
      (provider, now) => {
        const expiresAt = provider[STATE]()[0]?.details.expiresAt;
        return expiresAt === undefined ? undefined : (expiresAt - now) / 1000;
      },
    );
    gauge(
      "credentials.time_left",
      "Days until the credentials' expires date (the least among the providers of each auth " +
        "server whose credentials have one)",
      "d",
      (provider, now) => {
        const expires = provider[STATE]()[1].credentials.expires;
        return expires && (expires.getTime() - now) / 86_400_000;
      },
    );
    return {
      tokenRequests: counter(
        "token.requests",
        "Token requests to the token endpoint, by grant and outcome",
        "{request}",
      ),
      tokenDuration: histogram(
        "token.request.duration",
        "How long token requests took, retries included",
      ),
      renewals: counter(
        "token.renewals",
        "Tokens an API answered 401 for: renewed, or kept because the last renewal after a 401 " +
          "was too recent (refused)",
        "{renewal}",
      ),
      storeErrors: counter(
        "store.errors",
        "Token store failures the provider went on without, by operation (counted once until " +
          "the operation works again)",
        "{error}",
      ),
      storeDuration: histogram(
        "store.operation.duration",
        "How long token store operations took (instrumented stores)",
      ),
      leaseWaits: counter(
        "lease.waits",
        "Waits for the token request of another holder of the store's lease",
        "{wait}",
      ),
      leaseDuration: histogram(
        "lease.wait.duration",
        "How long waits for another holder of the store's lease took",
      ),
      apiCalls: counter("api.calls", "API calls, by status class (or error)", "{call}"),
      apiRetries: counter(
        "api.retries",
        "Retries of API calls after a transient failure",
        "{retry}",
      ),
    };
  }

  /** Per auth server, the least value `of` gives for its live providers. */
  #least(
    of: (provider: TokenProvider, now: number) => number | undefined,
  ): Map<string, number> {
    const least = new Map<string, number>();
    const now = Date.now();
    for (const ref of this.providers) {
      const provider = ref.deref();
      if (!provider) {
        this.providers.delete(ref);
        continue;
      }
      const value = of(provider, now);
      if (value === undefined) continue;
      const server = provider.tokenUrl.hostname;
      least.set(server, Math.min(value, least.get(server) ?? Infinity));
    }
    return least;
  }
}

let noopTracerProvider: TracerProvider | undefined;
let defaultTelemetry: Telemetry | undefined;
const telemetries = new WeakMap<object, WeakMap<object, Telemetry>>();

/** The telemetry of these providers: one per pair, so that nothing is counted twice. */
function telemetryOf(options: InstrumentOptions = {}): Telemetry {
  const { tracerProvider, meterProvider } = options;
  if (!tracerProvider && !meterProvider) return defaultTelemetry ??= new Telemetry({});
  const first = tracerProvider ?? Telemetry;
  let byMeter = telemetries.get(first);
  if (!byMeter) telemetries.set(first, byMeter = new WeakMap());
  let telemetry = byMeter.get(meterProvider ?? Telemetry);
  if (!telemetry) byMeter.set(meterProvider ?? Telemetry, telemetry = new Telemetry(options));
  return telemetry;
}

/**
 * Instruments a client (its API calls and its provider's token requests) or a token provider:
 * spans and metrics go to the global tracer and meter providers, or to those given. A provider
 * shared by several clients is instrumented once. Calling it again changes nothing.
 *
 * API calls get a span of kind `INTERNAL` named `kognic_auth.api_call` with the attributes of
 * the HTTP client conventions: it stands for the whole call (the token wait, a resend after a
 * 401, retries), and the HTTP client spans that fetch instrumentation (undici on Node) makes
 * for each request on the wire are its children, so none is made twice.
 *
 * @example Instrument a client
 * ```ts
 * import { createClient } from "@kognic/auth";
 * import { instrument } from "@kognic/auth/otel";
 *
 * const kognic = await createClient({ auth: ["my-client-id", "my-client-secret"] });
 * instrument(kognic);
 * ```
 *
 * @param target The client or the provider.
 * @param options The tracer and meter providers; default the global ones.
 */
export function instrument(
  target: KognicClient | TokenProvider,
  options?: InstrumentOptions,
): void {
  const telemetry = telemetryOf(options);
  // Not instanceof: a program may hold clients of two copies of the library.
  if ("provider" in target) {
    instrumentProvider(target.provider, telemetry);
    const inner = target.fetch;
    if (telemetry.wrapped.has(inner)) return;
    const wrapped = instrumentedFetch(inner, target.baseUrl, telemetry);
    telemetry.wrapped.add(wrapped);
    (target as { fetch: typeof fetch }).fetch = wrapped;
  } else instrumentProvider(target, telemetry);
}

/**
 * Instruments every client the program makes from now on (`createClient`, `edgeClient`,
 * `new KognicClient` of `@kognic/auth/core`), as {@linkcode instrument} does; call it once, after the OpenTelemetry SDK is
 * set up. Clients made before are left alone.
 *
 * @example Instrument the whole program
 * ```ts
 * import { instrumentAll } from "@kognic/auth/otel";
 *
 * const stop = instrumentAll();
 * // … every client made here is instrumented …
 * stop(); // clients made from now on are not
 * ```
 *
 * @param options The tracer and meter providers; default the global ones.
 * @returns A function that stops instrumenting clients made after it is called.
 */
export function instrumentAll(options?: InstrumentOptions): () => void {
  const hook = (client: KognicClient) => {
    try {
      instrument(client, options);
    } catch {
      // Telemetry never stops a client from being made.
    }
  };
  const global = globalThis as { [INSTRUMENT_CLIENTS]?: (client: KognicClient) => void };
  global[INSTRUMENT_CLIENTS] = hook;
  return () => {
    if (global[INSTRUMENT_CLIENTS] === hook) delete global[INSTRUMENT_CLIENTS];
  };
}

/**
 * Wraps a token store so that each of its operations (`load`, `save`, `lease`, `release`) gets
 * a span of kind `INTERNAL` (a span of the store's own client library, such as a Redis
 * client's, becomes its child) and the `kognic_auth.store.operation.duration` histogram a
 * measurement; the name goes into the token request spans too. The key (it holds the client
 * id) and the token never go into telemetry.
 *
 * @example A Redis store, instrumented
 * ```ts ignore
 * import { createClient } from "@kognic/auth";
 * import { redisTokenStore } from "@kognic/auth/stores/redis";
 * import { instrumentStore } from "@kognic/auth/otel";
 *
 * const store = instrumentStore(redisTokenStore(redis), { name: "redis" });
 * const kognic = await createClient({ store });
 * ```
 *
 * @param store The store.
 * @param options The store's name, and the tracer and meter providers.
 * @returns A store that does what `store` does, instrumented.
 */
export function instrumentStore(
  store: TokenStore,
  options: InstrumentStoreOptions = {},
): TokenStore {
  const telemetry = telemetryOf(options);
  const name = options.name ?? store.name ?? "custom";
  function traced<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const instruments = telemetry.instruments();
    if (!instruments && !telemetry.tracing()) return call();
    const attributes: Attributes = {
      "kognic_auth.store.name": name,
      "kognic_auth.store.operation": operation,
    };
    const span = telemetry.tracer().startSpan(`kognic_auth.store.${operation}`, {
      kind: SpanKind.INTERNAL,
      attributes,
    });
    const started = performance.now();
    const done = (error?: unknown) => {
      if (error !== undefined) {
        attributes["error.type"] = errorType(error);
        span.setAttribute("error.type", attributes["error.type"]);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      instruments?.storeDuration.record((performance.now() - started) / 1000, attributes);
    };
    let pending: Promise<T>;
    try {
      pending = context.with(trace.setSpan(context.active(), span), call);
    } catch (error) {
      // A store that throws instead of rejecting: its span ends all the same.
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        if (operation === "load") span.setAttribute("kognic_auth.store.hit", result !== undefined);
        if (operation === "lease") span.setAttribute("kognic_auth.lease_held", result === true);
        done();
        return result;
      },
      (error) => {
        done(error);
        throw error;
      },
    );
  }
  const wrapped: TokenStore = {
    name,
    load: (key) => traced<StoredToken | undefined>("load", () => store.load(key)),
    save: (key, token) => traced("save", () => store.save(key, token)),
  };
  if (store.lease) {
    wrapped.lease = (key, owner, ttl) => traced("lease", () => store.lease!(key, owner, ttl));
  }
  if (store.release) {
    wrapped.release = (key, owner) => traced("release", () => store.release!(key, owner));
  }
  const wait = (store as InternalStore)[WAIT];
  if (wait) (wrapped as InternalStore)[WAIT] = () => wait.call(store);
  return wrapped;
}

/** Subscribes the provider's telemetry, once per telemetry. */
function instrumentProvider(provider: TokenProvider, telemetry: Telemetry): void {
  if (telemetry.instrumented.has(provider)) return;
  telemetry.instrumented.add(provider);
  // The gauges are registered with the instruments.
  telemetry.instruments();
  // Held weakly (a Worker makes a provider per request); the collected ones' refs go here too,
  // not only when the gauges are read, which they never are without a meter provider.
  for (const ref of telemetry.providers) if (!ref.deref()) telemetry.providers.delete(ref);
  telemetry.providers.add(
    typeof WeakRef === "function" ? new WeakRef(provider) : { deref: () => provider },
  );
  const server = provider.tokenUrl.hostname;
  const port = Number(provider.tokenUrl.port) ||
    (provider.tokenUrl.protocol === "https:" ? 443 : 80);
  // A 401 that renewed the token: the provider reports the refused ones only.
  const invalidate = provider.invalidate;
  provider.invalidate = function (accessToken: string): boolean {
    const renewed = invalidate.call(provider, accessToken);
    if (renewed) {
      telemetry.instruments()?.renewals.add(1, {
        "server.address": server,
        "kognic_auth.outcome": "renewed",
      });
    }
    return renewed;
  };
  provider.subscribe((event: TokenEvent) => {
    const instruments = telemetry.instruments();
    const tracing = telemetry.tracing();
    if (!instruments && !tracing) return;
    const now = Date.now();
    if (event.type === "token" || event.type === "token_error") {
      const ok = event.type === "token";
      const attributes: Attributes = {
        "server.address": server,
        "kognic_auth.outcome": ok ? "success" : "error",
      };
      if (event.grant) attributes["kognic_auth.grant_type"] = event.grant;
      if (!ok) attributes["error.type"] = event.code;
      instruments?.tokenRequests.add(1, attributes);
      instruments?.tokenDuration.record(event.durationMs / 1000, attributes);
      if (!tracing) return;
      const span = telemetry.tracer().startSpan("kognic_auth.token_request", {
        kind: SpanKind.INTERNAL,
        startTime: now - event.durationMs,
        attributes: {
          ...attributes,
          "server.port": port,
          "url.path": provider.tokenUrl.pathname,
          "kognic_auth.attempts": event.attempts,
          "kognic_auth.background": event.background,
        },
      });
      if (event.status !== undefined) span.setAttribute("http.response.status_code", event.status);
      const store = provider[STATE]()[1].store?.name;
      if (store !== undefined) span.setAttribute("kognic_auth.store.name", store);
      if (event.leased !== undefined) span.setAttribute("kognic_auth.lease_held", event.leased);
      if (!ok) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(now);
    } else if (event.type === "lease_wait") {
      const attributes = { "server.address": server, "kognic_auth.outcome": event.outcome };
      instruments?.leaseWaits.add(1, attributes);
      instruments?.leaseDuration.record(event.durationMs / 1000, attributes);
      if (!tracing) return;
      telemetry.tracer().startSpan("kognic_auth.lease_wait", {
        kind: SpanKind.INTERNAL,
        startTime: now - event.durationMs,
        attributes,
      }).end(now);
    } else if (event.type === "store_error") {
      instruments?.storeErrors.add(1, {
        "server.address": server,
        "kognic_auth.store.operation": event.operation,
      });
    } else if (event.type === "renewal_refused") {
      instruments?.renewals.add(1, {
        "server.address": server,
        "kognic_auth.outcome": "refused",
      });
    }
  });
}

/** The HTTP methods the conventions name; any other is `_OTHER`. */
const METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);

/** A client's fetch, with a span and metrics per call (nothing while no SDK is set up). */
function instrumentedFetch(inner: typeof fetch, base: URL, telemetry: Telemetry): typeof fetch {
  let last: [unknown, URL] | undefined;
  return function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const instruments = telemetry.instruments();
    if (!instruments && !telemetry.tracing()) return inner(input, init);
    let url: URL;
    if (last?.[0] === input) url = last[1];
    else {
      url = new URL(input instanceof Request ? input.url : input, base);
      if (typeof input === "string") last = [input, url];
    }
    const given = (init?.method ?? (input instanceof Request ? input.method : "GET"))
      .toUpperCase();
    const method = METHODS.has(given) ? given : "_OTHER";
    const attributes: Attributes = {
      "http.request.method": method,
      "server.address": url.hostname,
      "server.port": Number(url.port) || (url.protocol === "https:" ? 443 : 80),
    };
    const span = telemetry.tracer().startSpan("kognic_auth.api_call", {
      kind: SpanKind.INTERNAL,
      attributes: {
        ...attributes,
        "url.scheme": url.protocol.slice(0, -1),
        "url.path": url.pathname,
      },
    });
    let retries = 0;
    const onRetry = (event: ClientEvent) => {
      if (event.type !== "retry") return;
      retries++;
      span.addEvent("kognic_auth.retry", {
        "kognic_auth.attempt": event.attempt,
        ...(event.status === undefined ? {} : { "http.response.status_code": event.status }),
      });
      instruments?.apiRetries.add(1, attributes);
    };
    // The caller's own list of sent tokens (the client's request method passes one) is kept.
    const sent = (init as { [SENT_TOKENS]?: string[] } | undefined)?.[SENT_TOKENS] ?? [];
    const call = context.with(
      trace.setSpan(context.active(), span),
      () => inner(input, { ...init, [SENT_TOKENS]: sent, [ON_RETRY]: onRetry } as RequestInit),
    );
    const end = (status: number | undefined, error?: unknown) => {
      if (retries) span.setAttribute("http.request.resend_count", retries);
      const metric: Attributes = { ...attributes };
      if (status !== undefined) {
        span.setAttribute("http.response.status_code", status);
        metric["kognic_auth.status_class"] = `${Math.floor(status / 100)}xx`;
      } else metric["kognic_auth.status_class"] = "error";
      if (error !== undefined || (status !== undefined && status >= 400)) {
        const type = error === undefined ? String(status) : errorType(error);
        span.setAttribute("error.type", type);
        metric["error.type"] = type;
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      instruments?.apiCalls.add(1, metric);
    };
    return call.then(
      (response) => {
        end(response.status);
        return response;
      },
      (error) => {
        end(undefined, error);
        throw error;
      },
    );
  } as typeof fetch;
}

/**
 * What kind of error it was, for `error.type`: the library's stable code, or the class name.
 * Never the message (an error from elsewhere may quote a URL with its query).
 */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  const name = (error as { name?: unknown })?.name;
  return typeof name === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : "_OTHER";
}
