import { describe, expect, it } from "vitest";
import type { ModelVersionPublic, SeriesExplanation } from "../api/types";
import { contributionTotals, groupLabel, importanceBars } from "./explanation";

const point = (ds: string, contributions: Record<string, number>) => ({
  ds,
  base: 0.5,
  contributions,
  raw: 0.5 + Object.values(contributions).reduce((a, b) => a + b, 0),
  yhat: 10,
});

const explanation = (points: SeriesExplanation["points"]): SeriesExplanation => ({
  series_id: 1,
  dataset: "default",
  model_name: "m",
  model_version: "1",
  horizon: points.length,
  points,
});

describe("contributionTotals", () => {
  it("sums each group over the steps, in the API's order", () => {
    const totals = contributionTotals(
      explanation([
        point("2026-01-01T00:00:00Z", { history: 0.25, calendar: -0.5, promo: 1 }),
        point("2026-01-02T00:00:00Z", { history: 0.5, calendar: 0.25 }),
      ]),
    );
    expect(totals).toEqual([
      { group: "history", label: "History (lags, rolling means)", value: 0.75 },
      { group: "calendar", label: "Calendar", value: -0.25 },
      { group: "promo", label: "promo", value: 1 },
    ]);
  });

  it("gives no bars for no steps", () => {
    expect(contributionTotals(explanation([]))).toEqual([]);
  });
});

describe("importanceBars", () => {
  const version = (feature_importance?: Record<string, number>) =>
    ({ version: "3", feature_importance }) as ModelVersionPublic;

  it("turns shares into percent, largest first", () => {
    expect(importanceBars(version({ history: 0.25, calendar: 0.125, price: 0.625 }))).toEqual([
      { group: "price", label: "price", value: 62.5 },
      { group: "history", label: "History (lags, rolling means)", value: 25 },
      { group: "calendar", label: "Calendar", value: 12.5 },
    ]);
  });

  it("gives none for a version without importance", () => {
    expect(importanceBars(version({}))).toEqual([]);
    expect(importanceBars(version(undefined))).toEqual([]);
  });

  it("names covariates by themselves", () => {
    expect(groupLabel("holidays_us")).toBe("holidays_us");
  });
});
