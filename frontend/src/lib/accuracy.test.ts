import { describe, expect, it } from "vitest";
import type { ForecastOutcome } from "../api/types";
import { coverageRows, formatPercent, insideWidest } from "./accuracy";

const outcome = (actual: number): ForecastOutcome => ({
  version: "1",
  ds: "2008-01-01T00:00:00Z",
  origin: "2008-01-01T00:00:00Z",
  forecast: 10,
  actual,
  error: 10 - actual,
  lo: { "80": 8, "95": 6 },
  hi: { "80": 12, "95": 14 },
});

describe("accuracy helpers", () => {
  it("orders coverage by level with its nominal share", () => {
    expect(coverageRows({ "95": 0.9, "80": null })).toEqual([
      { level: "80", live: null, nominal: 0.8 },
      { level: "95", live: 0.9, nominal: 0.95 },
    ]);
  });

  it("judges an actual against the widest interval", () => {
    expect(insideWidest(outcome(13))).toEqual({ level: "95", inside: true });
    expect(insideWidest(outcome(15))).toEqual({ level: "95", inside: false });
    expect(insideWidest({ ...outcome(1), lo: {}, hi: {} })).toBeNull();
  });

  it("formats shares as percentages", () => {
    expect(formatPercent(0.8)).toBe("80.0%");
    expect(formatPercent(null)).toBe("—");
  });
});
