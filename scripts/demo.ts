// The main job against the embedded Kognic-compatible server: start it on an ephemeral
// loopback port, write a throwaway credentials file, fetch a token, reuse it, make
// authenticated calls and show a refresh. Run with `npm run demo`.
import { runDemo } from "./_demo.ts";

// deno-lint-ignore no-console
await runDemo((line) => console.log(line), `demo-secret-${crypto.randomUUID()}`);
