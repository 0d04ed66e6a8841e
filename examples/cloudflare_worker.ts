import { edgeClient, type KvNamespace, kvTokenStore } from "@kognic/auth/edge";

interface Env {
  KOGNIC_CLIENT_ID: string; // wrangler secret put KOGNIC_CLIENT_ID
  KOGNIC_CLIENT_SECRET: string; // wrangler secret put KOGNIC_CLIENT_SECRET
  TOKENS?: KvNamespace; // optional: one token shared by all isolates
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    // Cheap on every request: clients share one token provider per isolate.
    const kognic = edgeClient(env, { store: env.TOKENS && kvTokenStore(env.TOKENS) });
    const response = await kognic.request("GET", "/v1/projects");
    return Response.json(await response.json());
  },
};
