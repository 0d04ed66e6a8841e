import { type Context, Hono } from "hono";
import { edgeClient } from "@kognic/auth/edge/client";
import { kognicClient, type KognicEnv, kognicProxy } from "@kognic/auth/hono";

type Env = KognicEnv & {
  Bindings: { KOGNIC_CLIENT_ID: string; KOGNIC_CLIENT_SECRET: string; PROXY_API_KEY?: string };
};

const app = new Hono<Env>();

// c.var.kognic is an authenticated client.
app.use("/projects", kognicClient({ client: (c) => edgeClient(c.env) }));
app.get("/projects", async (c) => {
  const response = await c.var.kognic.request("GET", "/v1/projects");
  return c.json(await response.json());
});

// Scripts call /kognic/v1/projects/…; the worker adds the token, which never leaves it.
app.all(
  "/kognic/*",
  kognicProxy<Context<Env>>({
    client: (c) => edgeClient(c.env),
    access: { env: "PROXY_API_KEY" }, // the binding, on Workers
    paths: ["/v1/projects"],
    mount: "/kognic",
  }),
);

export default app;
