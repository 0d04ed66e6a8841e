/**
 * The outbound side of the edge hosts (Miniflare's `outboundService`, the `fetch` of an
 * edge-runtime context): every request a function sends goes to the in-process Kognic test
 * server, whatever host it was for. Test-only.
 *
 * @module
 */
import type { createKognicServer } from "./kognic_server.ts";

/**
 * Hands a Miniflare request to the in-process test server and its answer back, whatever host it
 * was for; the examples' `/v1/projects` is served by the test server's `/v1/items`.
 */
export function outbound(
  server: ReturnType<typeof createKognicServer>,
  seen: string[] = [],
  tokenDelayMs = 0,
): (request: Request) => Promise<Response> {
  return async (request: Request): Promise<Response> => {
    seen.push(request.url);
    // A slow token endpoint keeps a token request in flight after the request that started it.
    if (tokenDelayMs && request.url.endsWith("/token") && server.tokenRequests.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, tokenDelayMs));
    }
    const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.text();
    const url = new URL(request.url);
    if (url.pathname.startsWith("/v1/projects")) {
      url.pathname = url.pathname.replace("/v1/projects", "/v1/items");
    }
    const response = await server.fetch(url, {
      method: request.method,
      headers: request.headers,
      body,
    });
    return new Response(await response.arrayBuffer(), response);
  };
}
