// A worker for tests/workerd/isolates.ts: calls the Kognic test server through edgeFetch with
// a Workers KV token store, and says which isolate it is, the error code if it failed, and the
// store failures its provider reported.
import { edgeFetch, type KvNamespace, kvTokenStore } from "../../src/edge/mod.ts";

interface Env {
  KOGNIC_CLIENT_ID: string;
  KOGNIC_CLIENT_SECRET: string;
  KOGNIC_URL: string;
  TOKENS: KvNamespace;
}

let isolate: string | undefined;

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    isolate ??= crypto.randomUUID();
    const kognicFetch = edgeFetch(env, {
      store: kvTokenStore(env.TOKENS),
      authHost: env.KOGNIC_URL,
      baseUrl: env.KOGNIC_URL,
    });
    // The store failures this request's provider reports (a wait for another request's token
    // is none).
    const storeErrors: string[] = [];
    kognicFetch.provider.subscribe((event) => {
      if (event.type === "store_error") storeErrors.push(`${event.operation}: ${event.message}`);
    });
    try {
      const response = await kognicFetch("/v1/whoami");
      const { tokenId } = (await response.json()).data;
      return Response.json({ isolate, tokenId, storeErrors });
    } catch (error) {
      const code = (error as { code?: string }).code;
      return Response.json({ isolate, error: code, storeErrors }, { status: 502 });
    }
  },
};
