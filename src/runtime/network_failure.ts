// The classifier of failed requests as Deno, Bun and Node (undici) report them, turned into
// KognicAuthErrors: the one place that knows the runtimes' wording. It reads error names, codes
// and messages along the `cause` chain, with Web APIs only. Loaded on the first failed request
// (./network.ts) and by the adapters that word proxy failures; not part of the public API; the
// edge entries never load it.
import { KognicAuthError, type KognicAuthErrorCode } from "../errors.ts";
import { describeError } from "../_util.ts";
import { type Failure, type FailureOptions, failureParts, unexplained } from "../_transport.ts";

/** The kinds of network failure the runtimes let us tell apart. */
export type NetworkKind =
  | "PROXY_AUTH_REQUIRED"
  | "PROXY_REFUSED"
  | "TLS_CERTIFICATE"
  | "CONNECTION_REFUSED"
  | "DNS_FAILED"
  | "TIMEOUT"
  | "PERMISSION";

// Deno: "proxy authentication required"; Bun: "407 Proxy Authentication Required"; undici:
// "Proxy response (407) !== 200 when HTTP Tunneling" and "Proxy Authentication Required (407)".
const PROXY_AUTH = /proxy authentication required|proxy response \(407\)/i;
// A proxy's answer to CONNECT other than 200, as Bun ("Proxy refused to open a tunnel: 401
// Unauthorized", ERR_PROXY_TUNNEL) and undici ("Proxy response (403) !== 200 when HTTP
// Tunneling") name it. Deno names only an HTTP/1.1 407 ("proxy authentication required") and
// words every other answer, an HTTP/1.0 407 or 401 (tinyproxy's) and a 503 alike, "unsuccessful
// tunnel".
const TUNNEL = /refused to open a tunnel: (\d+)|proxy response \((\d+)\)|unsuccessful tunnel/i;
// The answers to CONNECT that a later attempt may not get.
const PASSING = /^50[234]$/;
// Deno (rustls): "invalid peer certificate: UnknownIssuer"; Node and Bun: OpenSSL's codes such
// as UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED,
// ERR_TLS_CERT_ALTNAME_INVALID.
const TLS =
  /invalid peer certificate|certificate verify failed|UNABLE_TO_(?:VERIFY|GET)_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_(?:HAS_EXPIRED|NOT_YET_VALID|REVOKED|UNTRUSTED|REJECTED|SIGNATURE_FAILURE)|ERR_TLS_CERT|unable to verify the first certificate/i;
// Deno: "tcp connect error: Connection refused"; Node and Bun: ECONNREFUSED.
const REFUSED = /ECONNREFUSED|Connection refused|ConnectionRefused/i;
// Deno: "dns error: failed to lookup address information"; Node and Bun: "getaddrinfo
// ENOTFOUND host", EAI_AGAIN.
const DNS = /ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|getaddrinfo|dns error|DNSException/i;
const TIMEOUT = /ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|connection timed out|Connection timeout/i;
// Deno without --allow-net: Deno.errors.NotCapable (older: PermissionDenied).
const PERMISSION = new Set(["NotCapable", "PermissionDenied"]);

/**
 * The status a proxy refused a CONNECT tunnel with: the number where the runtime says it, `0`
 * where it does not (Deno); `undefined` when `error` is no refused tunnel.
 */
export function tunnelStatus(error: unknown): number | undefined {
  const match = TUNNEL.exec(describeError(error));
  return match ? Number(match[1] ?? match[2] ?? 0) : undefined;
}

/**
 * What kind of network failure `error` is, or `undefined` when the runtime does not say.
 * `PROXY_AUTH_REQUIRED`: the proxy wants (other) credentials (407, or 401 as tinyproxy
 * answers); `PROXY_REFUSED`: it refused the tunnel otherwise (a 403, say), or the runtime does
 * not say with which status: a guess of "passing" would repeat a wrong password, which locks
 * the account behind proxies that check it against a directory. A 502, 503 or 504 is passing.
 */
export function networkKind(error: unknown): NetworkKind | undefined {
  for (let item = error, depth = 0; item && depth < 4; depth++) {
    if (PERMISSION.has((item as { name?: string }).name ?? "")) return "PERMISSION";
    item = (item as { cause?: unknown }).cause;
  }
  const text = describeError(error);
  const status = tunnelStatus(error);
  if (PROXY_AUTH.test(text) || status === 401 || status === 407) return "PROXY_AUTH_REQUIRED";
  if (status !== undefined && !PASSING.test(String(status))) return "PROXY_REFUSED";
  if (TLS.test(text)) return "TLS_CERTIFICATE";
  if (REFUSED.test(text)) return "CONNECTION_REFUSED";
  if (DNS.test(text)) return "DNS_FAILED";
  if (TIMEOUT.test(text)) return "TIMEOUT";
  return undefined;
}

/** How to trust a corporate CA, for messages. */
export const TLS_HINT = "if a corporate proxy or CA signs it, pass that CA's certificate (PEM) " +
  "as the ca option, or name its file in NODE_EXTRA_CA_CERTS (Node.js, Bun) or DENO_CERT (Deno)";

/** How to give a proxy its credentials, for messages. */
export const PROXY_HINT = "give them in the proxy URL (http://user:password@host:port, with " +
  "special characters percent-encoded, such as @ as %40 and : as %3A), in the proxy option or " +
  "HTTPS_PROXY";

/** The port of a URL: the one it names, else its scheme's default. */
export function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}

/** `host:port` of a URL, for messages. */
export function hostPort(url: URL): string {
  return `${url.hostname}:${portOf(url)}`;
}

/**
 * Turns a failed `fetch` into a KognicAuthError with the most specific code the runtime's error
 * allows, naming the host, the number of attempts and what to do; `final` when another attempt
 * cannot help (a proxy's refusal, an untrusted certificate, a missing Deno permission).
 */
export function networkFailure(error: unknown, options: FailureOptions): Failure {
  const kind = networkKind(error);
  const final = kind === "PROXY_AUTH_REQUIRED" || kind === "PROXY_REFUSED" ||
    kind === "TLS_CERTIFICATE" || kind === "PERMISSION";
  const { subject, url } = options;
  const { detail, after, extra } = failureParts(error, options);
  const made = (code: KognicAuthErrorCode, problem: string, hint = "") => ({
    error: new KognicAuthError(
      code,
      `${subject} failed: ${problem}${after} (${detail})${hint}`,
      extra,
    ),
    final,
  });
  const status = tunnelStatus(error);
  switch (kind) {
    // Through a proxy of the caller's own `fetch`; the runtime's adapter names the proxy
    // (src/runtime/_proxy.ts).
    case "PROXY_AUTH_REQUIRED":
      return made(
        "PROXY_AUTH_REQUIRED",
        `the proxy wants (other) credentials${status ? ` (${status})` : ""}`,
        `; ${PROXY_HINT}`,
      );
    case "PROXY_REFUSED":
      return made("PROXY_FAILED", `the proxy refused the tunnel to "${hostPort(url)}"`);
    case "TLS_CERTIFICATE": {
      // Through an https:// proxy there are two handshakes, and no runtime says which failed.
      const proxy = options.tlsProxy;
      return made(
        "TLS_CERTIFICATE",
        proxy
          ? `the TLS certificate of the HTTPS proxy "${hostPort(proxy)}" or of ` +
            `"${hostPort(url)}" is not trusted`
          : `the TLS certificate of "${hostPort(url)}" is not trusted`,
        `; ${TLS_HINT}` +
          (proxy ? "; the ca option may hold several certificates, to trust both" : ""),
      );
    }
    case "CONNECTION_REFUSED":
      return made(
        "CONNECTION_REFUSED",
        `"${hostPort(url)}" refused the connection`,
        "; check the URL and that the service is up",
      );
    case "DNS_FAILED":
      return made(
        "DNS_FAILED",
        `the host name "${url.hostname}" could not be resolved`,
        "; check the URL, the DNS and any VPN",
      );
    case "TIMEOUT":
      return made("TIMEOUT", `the connection to "${hostPort(url)}" timed out`);
    default:
      return { error: unexplained(error, options).error, final };
  }
}
