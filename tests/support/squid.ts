/**
 * Starts Debian's `squid` on a loopback port with a generated configuration: no disk cache, its
 * own log and run files in a temporary directory, and with `auth` Basic proxy authentication by
 * `basic_ncsa_auth` over a password file written here, user names case-sensitive. Test-only;
 * needs `squid` and `/usr/lib/squid/basic_ncsa_auth` (both Debian's squid package).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepLog } from "./proxy_logs.ts";
import { freePort, startService } from "./service.ts";

/** A running squid. */
export interface Squid {
  /** `http://127.0.0.1:<port>`, without credentials. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The requests of its access.log: `CONNECT 127.0.0.1:443 TCP_DENIED/407`, `GET http://… TCP_MISS/200`. */
  requests(): Promise<string[]>;
  /** The raw access.log, for the secret scan. */
  accessLog(): Promise<string>;
  /** Stops it (by PID) and removes its files. */
  close(): Promise<void>;
}

/**
 * Starts squid on 127.0.0.1.
 *
 * @param options `auth` requires these Basic proxy credentials (any characters).
 * @returns The running squid.
 */
export async function startSquid(
  options: { auth?: { user: string; password: string } } = {},
): Promise<Squid> {
  const dir = await mkdtemp(join(tmpdir(), "kognic-squid-"));
  await chmod(dir, 0o777); // squid started as root runs as the `proxy` user.
  const log = join(dir, "access.log");
  const passwd = join(dir, "passwd");
  if (options.auth) {
    // basic_ncsa_auth takes a password as crypt(3) or Apache MD5 writes it (htpasswd, from
    // apache2-utils), or as the hex MD5 digest of its UTF-8 bytes, which needs no tool.
    const { user, password } = options.auth;
    if (/[:\r\n]/.test(user)) throw new Error(`A squid user name without ":" or a line break`);
    const digest = createHash("md5").update(password, "utf8").digest("hex");
    await writeFile(passwd, `${user}:${digest}\n`);
    await chmod(passwd, 0o644);
  }
  const port = await freePort();
  await writeFile(
    join(dir, "squid.conf"),
    [
      `http_port 127.0.0.1:${port}`,
      `pid_filename ${join(dir, "squid.pid")}`,
      `access_log stdio:${log}`,
      `cache_log ${join(dir, "cache.log")}`,
      "cache_store_log none",
      "cache deny all",
      "cache_mem 8 MB",
      `coredump_dir ${dir}`,
      "shutdown_lifetime 0 seconds",
      "dns_v4_first on",
      ...(options.auth
        ? [
          `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
          "auth_param basic realm kognic-test",
          // By default squid lower-cases the user name before it asks the helper, so a name
          // with capitals (CORP\kognic) is never found in the password file.
          "auth_param basic casesensitive on",
          "acl authenticated proxy_auth REQUIRED",
          "http_access deny !authenticated",
        ]
        : []),
      "acl SSL_ports port 1-65535",
      "acl CONNECT method CONNECT",
      "http_access allow localhost",
      "http_access deny all",
      "",
    ].join("\n"),
  );
  // At most 5 s for the listening socket.
  const service = await startService("squid", ["-N", "-f", join(dir, "squid.conf")], port);
  if (!service) {
    const cacheLog = await readFile(join(dir, "cache.log"), "utf8").catch(() => "");
    await rm(dir, { recursive: true, force: true });
    throw new Error(`squid did not start on port ${port}: ${cacheLog.slice(-2000)}`);
  }
  const accessLog = () => readFile(log, "utf8").catch(() => "");
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accessLog,
    // squid writes a request's line when it is done: wait until the log stops growing.
    requests: async () => {
      let text = await accessLog();
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const again = await accessLog();
        if (again === text && text) break;
        text = again;
      }
      // time elapsed client code/status bytes method url user hierarchy type; method "-" is a
      // connection without a request (the start-up probe).
      return text.split("\n").map((line) => line.trim().split(/\s+/))
        .filter((fields) => fields.length > 6 && fields[5] !== "-")
        .map((fields) => `${fields[5]} ${fields[6]} ${fields[3]}`);
    },
    close: async () => {
      await service.stop();
      await keepLog(log, "squid");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
