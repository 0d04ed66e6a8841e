// The public Kognic test server as a Worker, as the testing docs show it.
import { testServerApp } from "@kognic/auth/testing";

export default testServerApp();
