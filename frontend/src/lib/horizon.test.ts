import { describe, expect, it } from "vitest";
import openapi from "../api/openapi.json";
import { checkHorizon, defaultHorizon, FALLBACK_HORIZON, MAX_HORIZON } from "./horizon";

describe("checkHorizon", () => {
  it("accepts a whole number in range", () => {
    expect(checkHorizon(" 28 ")).toEqual({ horizon: 28 });
  });

  it.each([
    ["", /Enter a horizon/],
    ["2.5", /whole number/],
    ["abc", /whole number/],
    ["0", /between 1 and/],
    [String(MAX_HORIZON + 1), /between 1 and/],
  ])("rejects %j with a message saying what to enter", (text, message) => {
    const result = checkHorizon(text);
    expect(result.error).toMatch(message);
  });

  it("uses the API's own limit on the horizon", () => {
    const horizon = openapi.components.schemas.ForecastCreate.properties.horizon;
    expect(horizon.anyOf[0].maximum).toBe(MAX_HORIZON);
  });
});

describe("defaultHorizon", () => {
  it("is the dataset's horizon, within what the form accepts", () => {
    expect(defaultHorizon(18)).toBe(18);
    expect(defaultHorizon(MAX_HORIZON + 100)).toBe(MAX_HORIZON);
    expect(defaultHorizon(undefined)).toBe(FALLBACK_HORIZON);
  });
});
