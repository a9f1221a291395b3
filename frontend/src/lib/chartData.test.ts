import { describe, expect, it } from "vitest";
import type { ForecastPublic } from "../api/types";
import { shapeChartColumns, shapeScenarioColumns, toAlignedData } from "./chartData";

const history = [
  { ts: "2024-01-02T00:00:00Z", value: 12 },
  { ts: "2024-01-01T00:00:00Z", value: 10 },
];

function forecastOf(points: ForecastPublic["points"], levels = [80, 95]): ForecastPublic {
  return {
    id: 1,
    request_id: "r",
    series_id: 1,
    model_name: "m",
    model_version: "1",
    horizon: points.length,
    levels,
    created_at: "2024-01-03T00:00:00Z",
    kind: "request",
    data_cutoff: null,
    points,
  };
}

const point = (ds: string, yhat: number) => ({
  ds,
  yhat,
  lower: { "80": yhat - 1, "95": yhat - 2 },
  upper: { "80": yhat + 1, "95": yhat + 2 },
});

describe("shapeChartColumns", () => {
  it("puts history and forecast on one sorted time axis with nulls where a line has no value", () => {
    const columns = shapeChartColumns(
      history,
      forecastOf([point("2024-01-03T00:00:00Z", 13), point("2024-01-04T00:00:00Z", 14)]),
    );
    const day = Date.parse("2024-01-01T00:00:00Z") / 1000;
    expect(columns.x).toEqual([day, day + 86400, day + 2 * 86400, day + 3 * 86400]);
    expect(columns.history).toEqual([10, 12, null, null]);
    // The forecast line starts from the last actual value; the bands do not.
    expect(columns.forecast).toEqual([null, 12, 13, 14]);
  });

  it("orders interval bands widest first and reads each level's bounds", () => {
    const columns = shapeChartColumns(history, forecastOf([point("2024-01-03T00:00:00Z", 13)]));
    expect(columns.bands.map((band) => band.level)).toEqual([95, 80]);
    expect(columns.bands[0].lower).toEqual([null, null, 11]);
    expect(columns.bands[0].upper).toEqual([null, null, 15]);
    expect(columns.bands[1].lower).toEqual([null, null, 12]);
  });

  it("does not join a forecast that overlaps the history", () => {
    const columns = shapeChartColumns(history, forecastOf([point("2024-01-02T00:00:00Z", 11)]));
    expect(columns.forecast).toEqual([null, 11]);
  });

  it("draws history alone when there is no forecast", () => {
    const columns = shapeChartColumns(history, null);
    expect(columns.forecast).toEqual([null, null]);
    expect(columns.bands).toEqual([]);
  });

  it("rejects a timestamp that is not a date, naming it", () => {
    expect(() => shapeChartColumns([{ ts: "yesterday", value: 1 }], null)).toThrow(/"yesterday"/);
  });

  it("keeps thousands of points in order", () => {
    const start = Date.parse("2020-01-01T00:00:00Z");
    const long = Array.from({ length: 5000 }, (_, i) => ({
      ts: new Date(start + (4999 - i) * 3600_000).toISOString(),
      value: i,
    }));
    const columns = shapeChartColumns(long, null);
    expect(columns.x).toHaveLength(5000);
    expect(columns.history[0]).toBe(4999);
    expect(columns.x.every((t, i) => i === 0 || t > columns.x[i - 1])).toBe(true);
  });
});

describe("toAlignedData", () => {
  it("lists x, actuals, forecast, then lower and upper of each band", () => {
    const columns = shapeChartColumns(history, forecastOf([point("2024-01-03T00:00:00Z", 13)]));
    const data = toAlignedData(columns);
    expect(data).toHaveLength(7);
    expect(data[3]).toBe(columns.bands[0].lower);
    expect(data[6]).toBe(columns.bands[1].upper);
  });

  it("follows with the scenario's line and its bands when there is one", () => {
    const baseline = forecastOf([
      point("2024-01-03T00:00:00Z", 13),
      point("2024-01-04T00:00:00Z", 14),
    ]);
    const scenario = forecastOf([
      point("2024-01-03T00:00:00Z", 15),
      point("2024-01-04T00:00:00Z", 14),
    ]);
    const columns = shapeScenarioColumns(history, baseline, scenario);
    expect(columns.forecast).toEqual([null, 12, 13, 14]);
    expect(columns.scenario?.line).toEqual([null, 12, 15, 14]); // joined to the history too
    expect(columns.scenario?.bands[1].upper).toEqual([null, null, 16, 15]);
    const data = toAlignedData(columns);
    expect(data).toHaveLength(7 + 5);
    expect(data[7]).toBe(columns.scenario?.line);
    expect(data[11]).toBe(columns.scenario?.bands[1].upper);
  });
});
