import { describe, expect, it } from "vitest";
import type { CovariatePublic } from "../api/types";
import { datasetFixture } from "../test/fakeApi";
import { changeableCovariates, opsFor, parseValue, runSide, scenarioBody } from "./scenario";

const covariate = (
  name: string,
  type: CovariatePublic["type"],
  kind: CovariatePublic["kind"] = "known_in_advance",
  categories: string[] = [],
): CovariatePublic => ({ name, type, kind, country: null, subdivision: null, categories });

const PRICE = covariate("price", "numeric");
const PROMO = covariate("promo", "boolean");
const EVENT = covariate("event", "categorical", "known_in_advance", ["fair"]);

describe("what-if helpers", () => {
  it("offers the known-in-advance covariates, and scale/add for numbers only", () => {
    const dataset = {
      ...datasetFixture("retail", "D", 14, 2),
      covariates: [
        PRICE,
        covariate("region", "categorical", "static"),
        covariate("holiday", "boolean", "calendar"),
        PROMO,
      ],
    };
    expect(changeableCovariates(dataset).map((c) => c.name)).toEqual(["price", "promo"]);
    expect(opsFor(PRICE)).toEqual(["set", "scale", "add"]);
    expect(opsFor(PROMO)).toEqual(["set"]);
    expect(opsFor(EVENT)).toEqual(["set"]);
  });

  it("types the value as the covariate's type, or says why not", () => {
    expect(parseValue(PRICE, " 0.9 ")).toEqual({ value: 0.9 });
    expect(parseValue(PRICE, "cheap")).toEqual({ error: "cheap is not a number" });
    expect(parseValue(PROMO, "true")).toEqual({ value: true });
    expect(parseValue(PROMO, "1")).toHaveProperty("error");
    expect(parseValue(EVENT, "fair")).toEqual({ value: "fair" });
    expect(parseValue(EVENT, "parade")).toEqual({ error: "parade is not a category of event" });
  });

  it("builds one change for the series under a name saying what and when", () => {
    const form = {
      covariate: "promo",
      op: "set" as const,
      value: true,
      start: "2030-01-02",
      end: "2030-01-04",
    };
    const body = scenarioBody(7, "T7", form, new Date("2026-01-01T10:00:00Z"));
    expect(body.series).toEqual([7]);
    expect(body.changes).toEqual([form]);
    expect(body.name).toBe(
      "T7: promo set true, 2030-01-02 to 2030-01-04 (2026-01-01T10:00:00.000Z)",
    );
  });

  it("gives each side of a run as the chart takes a forecast", () => {
    const band = (yhat: number) => ({ yhat, lower: { "80": yhat - 1 }, upper: { "80": yhat + 1 } });
    const run = {
      series_id: 7,
      series: "T7",
      total_difference: 2,
      points: [
        { ds: "2030-01-01T00:00:00Z", baseline: band(10), scenario: band(12), difference: 2 },
      ],
    };
    expect(runSide(run, "scenario", [80])).toEqual({
      levels: [80],
      points: [{ ds: "2030-01-01T00:00:00Z", yhat: 12, lower: { "80": 11 }, upper: { "80": 13 } }],
    });
  });
});
