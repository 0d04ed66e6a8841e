import { edgeFetch } from "@kognic/auth/edge";

// A Next.js route handler (app/api/projects/route.ts) on Vercel's Edge Runtime:
// KOGNIC_CLIENT_ID and KOGNIC_CLIENT_SECRET are environment variables of the Vercel project.
export const runtime = "edge";

export async function GET(): Promise<Response> {
  // Cheap on every request: one token provider per instance, one token request for all.
  const kognicFetch = edgeFetch(process.env);
  const response = await kognicFetch("/v1/projects");
  return Response.json(await response.json());
}
