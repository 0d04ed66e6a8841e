/**
 * The OpenTelemetry SDK as the otel cases use it: a tracer provider with the in-memory span
 * exporter, a meter provider with a metric reader the case collects from, a context manager over
 * `AsyncLocalStorage` (which Deno, Bun, Node and workerd with `nodejs_compat` all have) so that
 * spans nest across awaits, and everything exported serialized for the secret checks.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, type ContextManager, ROOT_CONTEXT } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";

/** A reader the case collects from when it wants. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A context manager over `AsyncLocalStorage`, as `@opentelemetry/context-async-hooks` has. */
export class StorageContextManager implements ContextManager {
  #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (fn: () => unknown) => this.with(context, fn);
    return function (this: unknown, ...args: unknown[]) {
      return run(() => target.apply(this, args));
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    // A new storage rather than disable(), which workerd does not implement.
    this.#storage = new AsyncLocalStorage<Context>();
    return this;
  }
}

/** One point of a metric, flattened. */
export interface Point {
  attributes: Record<string, unknown>;
  value: unknown;
}

/** The SDK of one case. */
export interface Sdk {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** The spans of one name. */
  named(name: string): ReadableSpan[];
  /** Collects the metrics now. */
  collect(): Promise<ResourceMetrics>;
  /** The points of one metric, with its unit; `undefined` when it has none. */
  metric(name: string): Promise<{ unit: string; points: Point[] } | undefined>;
  /** Everything exported: every span and every metric point, as JSON text. */
  exported(): Promise<string>;
}

/** A tracer provider and a meter provider of their own, not registered globally. */
export function createSdk(): Sdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length) throw errors[0];
    return resourceMetrics;
  };
  const sdk: Sdk = {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    named: (name) => exporter.getFinishedSpans().filter((span) => span.name === name),
    collect,
    async metric(name) {
      for (const scope of (await collect()).scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name) continue;
          return {
            unit: metric.descriptor.unit,
            points: (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({
              attributes: { ...point.attributes },
              value: point.value,
            })),
          };
        }
      }
      return undefined;
    },
    async exported() {
      const spans = exporter.getFinishedSpans().map((span) => ({
        name: span.name,
        kind: span.kind,
        attributes: span.attributes,
        events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
        status: span.status,
        links: span.links,
      }));
      const metrics = (await collect()).scopeMetrics.flatMap((scope) =>
        scope.metrics.map((metric) => ({
          descriptor: metric.descriptor,
          points: (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({
            attributes: point.attributes,
            value: point.value,
          })),
        }))
      );
      return JSON.stringify({ spans, metrics });
    },
  };
  return sdk;
}
