import { edgeClient } from "@kognic/auth/edge";

// Deno Deploy and Supabase Edge Functions: KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are
// environment variables (secrets) of the project or function.
Deno.serve(async () => {
  const kognic = edgeClient(Deno.env.toObject());
  const response = await kognic.request("GET", "/v1/projects");
  return Response.json(await response.json());
});
