/**
 * The Redis clients a runtime has, each as the one-line command function of
 * `redisTokenStore`: node-redis everywhere, ioredis on Node, Bun's built-in `RedisClient` on
 * Bun. Loaded by name at run time, so that the workerd bundle of the suite leaves them out.
 * Test-only.
 *
 * @module
 */
import type { RedisCommand } from "../../src/stores/redis.ts";

/** A connected client as a command function. */
export interface RedisConnection {
  command: RedisCommand;
  close(): Promise<void>;
}

/** A client library, by name, and how to connect it. */
export interface RedisClientKind {
  name: string;
  connect(url: string): Promise<RedisConnection>;
}

// deno-lint-ignore no-explicit-any
type Any = any;
const load = (name: string): Promise<Any> => import(name);

const nodeRedis: RedisClientKind = {
  name: "node-redis",
  async connect(url) {
    const { createClient } = await load("redis");
    // Commands fail at once while the server is away, instead of queueing.
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50, connectTimeout: 1_000 },
    });
    client.on("error", () => {});
    await client.connect();
    return {
      command: (args) => client.sendCommand(args),
      close: () => Promise.resolve(client.destroy()),
    };
  },
};

const ioredis: RedisClientKind = {
  name: "ioredis",
  async connect(url) {
    const { Redis } = await load("ioredis");
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
      lazyConnect: true,
    });
    redis.on("error", () => {});
    await redis.connect();
    return {
      command: ([command, ...args]) => redis.call(command, ...args),
      close: () => Promise.resolve(redis.disconnect()),
    };
  },
};

const bunRedis: RedisClientKind = {
  name: "Bun RedisClient",
  async connect(url) {
    const { RedisClient } = (globalThis as Any).Bun;
    const client = new RedisClient(url, { enableOfflineQueue: false, connectionTimeout: 1_000 });
    await client.connect();
    return {
      command: ([command, ...args]) => client.send(command, args),
      close: () => Promise.resolve(client.close()),
    };
  },
};

/** The clients of this runtime, node-redis first. */
export function redisClients(): RedisClientKind[] {
  const agent = globalThis.navigator?.userAgent ?? "";
  if ((globalThis as Any).Bun) return [nodeRedis, bunRedis];
  if (agent.startsWith("Node.js")) return [nodeRedis, ioredis];
  return [nodeRedis];
}
