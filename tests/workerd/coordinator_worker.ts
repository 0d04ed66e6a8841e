// A worker for tests/workerd/isolates.ts: calls the Kognic test server through edgeFetch with a
// Durable Object coordinating the token requests of every isolate, and says which isolate it is.
import { edgeFetch } from "../../src/edge/mod.ts";
import {
  type DurableObjectNamespaceLike,
  durableObjectTokenStore,
  KognicTokenCoordinator,
} from "../../src/edge/durable_object.ts";

interface Env {
  KOGNIC_CLIENT_ID: string;
  KOGNIC_CLIENT_SECRET: string;
  KOGNIC_URL: string;
  KOGNIC_TOKENS: DurableObjectNamespaceLike;
}

let isolate: string | undefined;

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    isolate ??= crypto.randomUUID();
    const kognicFetch = edgeFetch(env, {
      store: durableObjectTokenStore(env.KOGNIC_TOKENS),
      authHost: env.KOGNIC_URL,
      baseUrl: env.KOGNIC_URL,
    });
    const errors: string[] = [];
    const listener = (event: { type: string; message?: string }) => {
      if (event.type === "store_error") errors.push(event.message!);
    };
    kognicFetch.provider.subscribe(listener);
    try {
      const response = await kognicFetch("/v1/whoami");
      const { tokenId } = (await response.json()).data;
      return Response.json({ isolate, tokenId, errors });
    } catch (error) {
      return Response.json({ isolate, error: (error as { code?: string }).code }, { status: 502 });
    }
  },
};

export { KognicTokenCoordinator };
