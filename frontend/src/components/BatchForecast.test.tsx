import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ForecastPublic } from "../api/types";
import { BatchForecastNote, shownForecast } from "./BatchForecast";

const forecast = (id: number, kind: "request" | "batch"): ForecastPublic => ({
  id,
  request_id: kind === "batch" ? "batch:run" : "req",
  series_id: 1,
  model_name: "quantis-forecaster",
  model_version: "8",
  horizon: 14,
  levels: [80, 95],
  created_at: "2026-12-01T02:00:00Z",
  kind,
  data_cutoff: kind === "batch" ? "2026-11-30T00:00:00Z" : null,
  points: [],
});

describe("batch forecasts on the series page", () => {
  it("shows a fresh request first, then the latest batch forecast, then any", () => {
    const batch = forecast(2, "batch");
    const request = forecast(3, "request");
    const older = forecast(1, "request");
    expect(shownForecast(request, batch, older)).toBe(request);
    expect(shownForecast(null, batch, older)).toBe(batch);
    expect(shownForecast(null, null, older)).toBe(older);
    expect(shownForecast(null, null, null)).toBeNull();
  });

  it("names the model version and the data cut-off", () => {
    render(<BatchForecastNote forecast={forecast(2, "batch")} />);
    const note = screen.getByTestId("batch-forecast-meta");
    expect(note.textContent).toContain("Batch forecast #2");
    expect(note.textContent).toContain("version 8");
    expect(note.textContent).toMatch(/from data up to (?!not recorded)/);
  });
});
