import { edgeFetch, type KvNamespace, kvTokenStore } from "@kognic/auth/edge";

interface Env {
  KOGNIC_CLIENT_ID: string; // wrangler secret put KOGNIC_CLIENT_ID
  KOGNIC_CLIENT_SECRET: string; // wrangler secret put KOGNIC_CLIENT_SECRET
  TOKENS?: KvNamespace; // optional: one token shared by all isolates
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    // Cheap on every request: one token provider per isolate, and with TOKENS one token for all.
    const kognicFetch = edgeFetch(env, { store: env.TOKENS && kvTokenStore(env.TOKENS) });
    const response = await kognicFetch("/v1/projects");
    return Response.json(await response.json());
  },
};
