import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { SeriesAccuracy } from "../api/types";
import { SeriesAccuracyView } from "./SeriesAccuracy";

const data: SeriesAccuracy = {
  series_id: 1,
  name: "T001",
  versions: [
    {
      version: "1",
      points: 2,
      first_day: "2008-01-01",
      last_day: "2008-04-01",
      mase: 0.5,
      smape: 4,
      bias: 1.5,
      mae: 2,
      coverage: { "80": 0.5 },
    },
  ],
  outcomes: [
    {
      version: "1",
      ds: "2008-01-01T00:00:00Z",
      origin: "2008-01-01T00:00:00Z",
      forecast: 11,
      actual: 10,
      error: 1,
      lo: { "80": 9 },
      hi: { "80": 12 },
    },
    {
      version: "1",
      ds: "2008-04-01T00:00:00Z",
      origin: "2008-01-01T00:00:00Z",
      forecast: 14,
      actual: 12,
      error: 2,
      lo: { "80": 13 },
      hi: { "80": 15 },
    },
  ],
};

describe("SeriesAccuracyView", () => {
  it("lists each forecast against its actual and whether it fell inside the interval", () => {
    render(<SeriesAccuracyView accuracy={data} />);
    const rows = within(screen.getByRole("table", { name: "Forecast errors" })).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByText("inside 80%").className).toContain("good");
    expect(within(rows[2]).getByText("outside 80%").className).toContain("bad");
    expect(screen.getByTestId("series-accuracy-versions").textContent).toContain(
      "version 1: live MASE 0.5, bias 1.5 over 2 point(s)",
    );
  });

  it("says when no forecast met its actual yet", () => {
    render(<SeriesAccuracyView accuracy={{ ...data, versions: [], outcomes: [] }} />);
    expect(screen.getByText(/No forecast of this series has met its actual yet/)).toBeTruthy();
  });
});
