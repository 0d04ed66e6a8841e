/** An in-memory stand-in for a Workers KV namespace, recording every `put`. Test-only. */
import type { KvNamespace } from "../../src/stores/kv.ts";

export class MemoryKv implements KvNamespace {
  readonly entries = new Map<string, string>();
  readonly puts: { key: string; value: string; expirationTtl?: number }[] = [];

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.entries.get(key) ?? null);
  }

  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void> {
    this.entries.set(key, value);
    this.puts.push({ key, value, expirationTtl: options?.expirationTtl });
    return Promise.resolve();
  }
}
