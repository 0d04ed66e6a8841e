// The suite serves handlers on loopback with the same helper as `startTestServer()` of
// `@kognic/auth/testing`, so the public server and the suite's servers behave alike.
export { serve, type Served } from "../../src/testing/_serve.ts";
