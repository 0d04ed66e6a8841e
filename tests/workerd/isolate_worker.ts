// A worker for tests/workerd/isolates.ts: calls the Kognic test server through edgeFetch with
// a Workers KV token store, and says which isolate it is (and the error code, if it failed).
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
    try {
      const response = await kognicFetch("/v1/whoami");
      const { tokenId } = (await response.json()).data;
      return Response.json({ isolate, tokenId });
    } catch (error) {
      return Response.json({ isolate, error: (error as { code?: string }).code }, { status: 502 });
    }
  },
};
