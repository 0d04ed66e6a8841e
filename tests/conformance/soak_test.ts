import assert from "node:assert/strict";
import { test } from "../support/harness.ts";
import { runSoak } from "../support/soak.ts";

test(
  "soak: 4 s of load with 2 s tokens and a faulty token endpoint: no failed call, one token per rotation",
  async () => {
    const report = await runSoak(4);
    assert.equal(report.failedCalls, 0, report.failures.join("\n"));
    assert.ok(report.calls > 100, `only ${report.calls} calls`);
    assert.ok(report.rotations >= 3, `only ${report.rotations} rotations`);
    assert.ok(report.tokenFaultsInjected >= 1, "the token endpoint failed at least once");
    assert.equal(report.maxTokenRequestsInFlight, 1, "never two token requests at once");
    assert.equal(
      report.tokensUsed,
      report.tokensIssued,
      "every token issued was used: none fetched twice for one rotation",
    );
  },
  { needs: ["sockets"], timeout: 20_000 },
);
