import { describe, expect, it } from "vitest";
import type { ModelVersionPublic } from "../api/types";
import { backtestMase, decisionSummary, naiveMase, promotedAt } from "./models";

function version(overrides: Partial<ModelVersionPublic>): ModelVersionPublic {
  return {
    name: "quantis-forecaster",
    version: "3",
    aliases: [],
    run_id: null,
    source: "s",
    created_at: "2024-01-01T00:00:00Z",
    metrics: {},
    decision: null,
    tags: {},
    ...overrides,
  };
}

describe("model figures", () => {
  it("prefers the run's metrics", () => {
    const v = version({ metrics: { backtest_mase: 0.8, backtest_seasonal_naive_mase: 1.1 } });
    expect(backtestMase(v)).toBe(0.8);
    expect(naiveMase(v)).toBe(1.1);
  });

  it("falls back to the figures in the promotion decision", () => {
    const v = version({
      decision: { promote: true, reason: "beats naive", challenger_mase: 0.7, naive_mase: 1.0 },
    });
    expect(backtestMase(v)).toBe(0.7);
    expect(naiveMase(v)).toBe(1.0);
    expect(decisionSummary(v)).toBe("Promoted: beats naive");
  });

  it("says when nothing is known", () => {
    const v = version({});
    expect(backtestMase(v)).toBeNull();
    expect(decisionSummary(v)).toBe("No decision recorded");
    expect(promotedAt(version({ tags: { "quantis.promoted_at": "2024-02-01" } }))).toBe(
      "2024-02-01",
    );
  });
});
