import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ModelAccuracy } from "../api/types";
import { AccuracyView } from "./ChampionAccuracy";

const accuracy = (mase: number, degraded: boolean): ModelAccuracy => ({
  version: "3",
  backtest_mase: 0.8,
  live: {
    series: 2,
    points: 5,
    days: 2,
    first_day: "2008-01-01",
    last_day: "2008-04-01",
    mase,
    smape: 12.5,
    bias: -0.25,
    mae: 1.5,
    coverage: { "80": 0.6, "95": 1 },
  },
  live_to_backtest: mase / 0.8,
  degradation_factor: 1.5,
  degraded,
  daily: [
    { day: "2008-01-01", series: 2, points: 2, mase: 0.7, smape: 10, bias: 0, coverage: {} },
    { day: "2008-04-01", series: 2, points: 3, mase: 1.1, smape: 14, bias: -1, coverage: {} },
  ],
});

describe("AccuracyView", () => {
  it("shows live against backtest MASE, coverage against nominal, and the days", () => {
    render(<AccuracyView accuracy={accuracy(1.0, false)} />);
    const figures = screen.getByTestId("champion-accuracy");
    expect(within(figures).getByText("Live MASE").nextSibling?.textContent).toContain("1");
    expect(within(figures).getByText("Backtest MASE").nextSibling?.textContent).toContain("0.8");
    expect(within(figures).getByText("within 1.5×")).toBeTruthy();
    expect(within(figures).getByText("80% interval coverage").nextSibling?.textContent).toContain(
      "60.0% (nominal 80.0%)",
    );
    const days = screen.getByRole("table", { name: "Live accuracy by day" });
    expect(within(days).getAllByRole("row")).toHaveLength(3);
    expect(screen.getByText(/5 forecast points of 2 series scored on 2 day/)).toBeTruthy();
  });

  it("flags a degraded champion", () => {
    render(<AccuracyView accuracy={accuracy(1.6, true)} />);
    expect(screen.getByText("degraded (above 1.5×)").className).toContain("bad");
  });

  it("says when nothing was scored yet", () => {
    render(<AccuracyView accuracy={{ ...accuracy(1, false), live: null, daily: [] }} />);
    expect(screen.getByText(/No live accuracy yet/)).toBeTruthy();
  });
});
