import { edgeClient } from "@kognic/auth/edge/client";

// Deno Deploy and Supabase Edge Functions: KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are
// environment variables (secrets) of the project or function. edgeClient adds retries, a
// timeout and JSON helpers to what edgeFetch does.
Deno.serve(async () => {
  const kognic = edgeClient(Deno.env.toObject());
  const projects = await kognic.get("/v1/projects"); // the `data` of the JSON answer
  return Response.json(projects);
});
