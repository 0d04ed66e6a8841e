/**
 * The runtime adapter for Deno: `Deno.env`, Deno's file API, `Deno.Command` for the keyring
 * tools, and `fetch`.
 *
 * Deno's `fetch` reads `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` itself, but differs from the
 * usual rules (upper case wins over lower case; `NO_PROXY` entries with a port, and `*` for IP
 * addresses, are not honoured). When a proxy variable is set, this adapter therefore chooses the
 * proxy itself and sends each request through a `Deno.createHttpClient` with exactly that proxy,
 * or with none. The variables are read when the adapter's `fetch` is taken (by a client, when it
 * is created), not per request.
 *
 * @module
 */
import type { CommandOutput, Keyring, Runtime } from "./mod.ts";
import { lazyKeyring } from "./_lazy_keyring.ts";
import {
  decodeUserinfo,
  NO_PROXY_VARIABLES,
  PROXY_VARIABLES,
  proxyAwareFetch,
  type ProxyTransport,
} from "./_proxy_fetch.ts";

interface HttpClient {
  close(): void;
}
interface DenoNamespace {
  version: { deno: string };
  build: { os: string };
  env: {
    get(name: string): string | undefined;
    set(name: string, value: string): void;
    delete(name: string): void;
  };
  readTextFile(path: string): Promise<string>;
  writeTextFile(
    path: string,
    text: string,
    options?: { mode?: number; createNew?: boolean },
  ): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  stat(path: string): Promise<{ mtime: Date | null; size: number; ino: number | null }>;
  statSync?(path: string): { mtime: Date | null; size: number; ino: number | null };
  Command: new (command: string, options: {
    args: string[];
    stdin: "piped";
    stdout: "piped";
    stderr: "piped";
  }) => {
    spawn(): {
      stdin: WritableStream<Uint8Array>;
      output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
    };
  };
  createHttpClient(options: {
    proxy?: { url: string; basicAuth?: { username: string; password: string } };
    caCerts?: string[];
  }): HttpClient;
}

function denoTransport(deno: DenoNamespace): ProxyTransport {
  const directClients = new Map<string | undefined, HttpClient>();
  // Deno reads the proxy variables when a client is created: a client created while they are
  // out of the way connects directly, and one with a proxy created while NO_PROXY is out of the
  // way uses it for every URL. Hiding them is synchronous, so no other code sees it.
  const without = (names: readonly string[], create: () => HttpClient) => {
    const saved = names.map((name) => [name, deno.env.get(name)] as const);
    for (const [name, value] of saved) if (value !== undefined) deno.env.delete(name);
    try {
      return create();
    } finally {
      for (const [name, value] of saved) if (value !== undefined) deno.env.set(name, value);
    }
  };
  const direct = (ca?: string) => {
    let client = directClients.get(ca);
    if (!client) {
      client = without(PROXY_VARIABLES, () => deno.createHttpClient(ca ? { caCerts: [ca] } : {}));
      directClients.set(ca, client);
    }
    return client;
  };
  // A spread literal, not Object.assign: one object per request, copied by the engine's fast
  // path. A throwing init (a getter) rejects, as fetch does.
  const fetchWith = (client: HttpClient): typeof fetch => (input, init) => {
    try {
      return fetch(input, { ...init, client } as RequestInit & { client: HttpClient });
    } catch (error) {
      return Promise.reject(error);
    }
  };
  // Direct requests always go through a proxy-less client of this adapter's, whatever the
  // variables say later, so that no request reads the environment to choose between it and the
  // global fetch (on Deno that costs more than the rest of an authenticated request's own
  // work). Without --allow-env, Deno's fetch applies the variables by itself.
  const directFetches = new Map<string | undefined, typeof fetch>();
  const directFetch = (ca?: string): typeof fetch => {
    let send = directFetches.get(ca);
    if (!send) {
      try {
        send = fetchWith(direct(ca));
      } catch (error) {
        if (ca) throw error;
        send = (input, init) => fetch(input, init);
      }
      directFetches.set(ca, send);
    }
    return send;
  };
  return {
    env: (name) => deno.env.get(name),
    direct: (input, init, ca) => directFetch(ca)(input, init),
    // The HTTP client is made on the first request, not when a client takes this fetch: a
    // program that sends none does not pay for it.
    directFetch: () => (input, init) => directFetch()(input, init),
    through: (proxy, _source, ca) => {
      const url = new URL(proxy);
      const basicAuth = url.username || url.password
        ? {
          username: decodeUserinfo(url.username),
          password: decodeUserinfo(url.password),
        }
        : undefined;
      url.username = "";
      url.password = "";
      let names: readonly string[] = NO_PROXY_VARIABLES;
      try {
        deno.env.get("NO_PROXY");
      } catch {
        names = []; // No --allow-env: Deno cannot read NO_PROXY either.
      }
      return fetchWith(
        without(names, () =>
          deno.createHttpClient({
            proxy: { url: url.href, basicAuth },
            ...(ca ? { caCerts: [ca] } : {}),
          })),
      );
    },
  };
}

/**
 * Creates the Deno adapter. Reading an environment variable or a file needs the matching
 * permission (`--allow-env`, `--allow-read`); without it Deno's own error explains which.
 *
 * @example Use the Deno adapter explicitly
 * ```ts
 * import { denoRuntime } from "@kognic/auth/runtime/deno";
 *
 * const runtime = denoRuntime();
 * console.log(runtime.name); // "deno"
 * ```
 *
 * @returns The adapter.
 */
export function denoRuntime(): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const env = (name: string) => deno.env.get(name);
  const run = async (
    command: string,
    args: readonly string[],
    options: { stdin?: string } = {},
  ): Promise<CommandOutput> => {
    const child = new deno.Command(command, {
      args: [...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
    await writer.close().catch(() => {});
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  };
  const os = deno.build.os;
  const transport = denoTransport(deno);
  let keyring: Keyring | undefined | null = null;
  return {
    name: "deno",
    version: deno.version.deno,
    os,
    env,
    homeDir: () => env("HOME") ?? env("USERPROFILE"),
    readTextFile: (path) => deno.readTextFile(path),
    writeTextFile: (path, text, options = {}) =>
      deno.writeTextFile(path, text, { mode: options.mode, createNew: options.createNew }),
    mkdir: (path, options = {}) => deno.mkdir(path, { recursive: true, mode: options.mode }),
    rename: (from, to) => deno.rename(from, to),
    remove: (path) => deno.remove(path),
    // Synchronous underneath: rotation looks at a credentials file's status once per token
    // request, and Deno's asynchronous call costs an event-loop round trip of 2–4 ms in a
    // program's first milliseconds, where a local file's status takes microseconds. Rejects as
    // the asynchronous call does (NotFound and so on). Where Deno has no synchronous call (a
    // hosted Deno without it), the asynchronous one.
    stat: (path) => {
      const status = ({ mtime, size, ino }: Awaited<ReturnType<DenoNamespace["stat"]>>) => ({
        mtime: mtime?.getTime(),
        size,
        ino: ino ?? undefined,
      });
      if (!deno.statSync) return deno.stat(path).then(status);
      try {
        return Promise.resolve(status(deno.statSync(path)));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    run,
    // Looked up on first use: without --allow-env, reading DBUS_SESSION_BUS_ADDRESS throws.
    get keyring() {
      if (keyring === null) {
        try {
          keyring = lazyKeyring(os, env, run);
        } catch {
          keyring = undefined;
        }
      }
      return keyring;
    },
    // Each use reads the proxy variables (a client's, when it is created): see Runtime.fetch.
    get fetch() {
      return proxyAwareFetch(transport);
    },
    fetchWith: (proxy, options) => proxyAwareFetch(transport, proxy, options?.ca),
  };
}
