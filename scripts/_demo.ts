// The demo behind `npm run demo` (scripts/demo.ts); a conformance case runs it too.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "../mod.ts";
import { resolveCredentials } from "../src/core.ts";
import { createKognicServer, TEST_CLIENT_ID } from "../tests/support/kognic_server.ts";
import { serve } from "../tests/support/serve.ts";

/**
 * Runs the demo, printing each step through `say`.
 *
 * @param say Prints one line.
 * @param secret The client secret of the throwaway credentials.
 */
export async function runDemo(say: (line: string) => void, secret: string): Promise<void> {
  const server = createKognicServer({ clientSecret: secret, tokenLifetime: 4 });
  const served = await serve(server.fetch);
  const dir = await mkdtemp(join(tmpdir(), "kognic-demo-"));
  try {
    const path = join(dir, "credentials.json");
    await writeFile(
      path,
      JSON.stringify({
        clientId: TEST_CLIENT_ID,
        clientSecret: secret,
        email: "demo@example.com",
        userId: 1,
        issuer: new URL(served.url).host,
      }),
      { mode: 0o600 },
    );
    say(`1. Kognic-compatible server listening on ${served.url} (tokens live 4 s)`);
    say(`2. Wrote throwaway credentials to ${path}`);

    const { credentials, source } = await resolveCredentials({ auth: path });
    say(`3. Resolved ${credentials} from ${source}`);
    const kognic = await createClient({
      auth: credentials,
      authHost: served.url,
      baseUrl: served.url,
    });

    const calls = async (label: string, count: number) => {
      const started = performance.now();
      const answers = await Promise.all(
        Array.from(
          { length: count },
          () => kognic.request("GET", "/v1/whoami").then((r) => r.json()),
        ),
      );
      const ids = [...new Set(answers.map((answer) => answer.data.tokenId))];
      say(
        `${label}: ${count} authenticated call${count === 1 ? "" : "s"} in ${
          Math.round(performance.now() - started)
        } ms, ` +
          `served with token #${
            ids.join(", #")
          }; token requests so far: ${server.tokenRequests.length}`,
      );
    };
    await calls("4. First use (fetches a token)", 1);
    await calls("5. Reuse (cached token)", 20);
    // The client's own word that the refreshed token is in, not the server's that it sent one.
    let refreshed = 0;
    kognic.provider.subscribe((event) => {
      if (event.type === "token") refreshed++;
    });
    say("6. Waiting 2.2 s: past half the token's life, a background refresh starts...");
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await calls("7. Near expiry (still the current token, refresh in flight)", 5);
    for (let i = 0; i < 100 && refreshed < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await calls("8. After the refresh", 5);
    const grants = server.tokenRequests.map((r) => new URLSearchParams(r.body).get("grant_type"));
    say(`9. Grants used: ${grants.join(", ")}. The secret was never printed.`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await served.close();
  }
}
