import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ModelVersionPublic } from "../api/types";
import { FeatureImportance } from "./FeatureImportance";

const version = (feature_importance: Record<string, number>): ModelVersionPublic => ({
  name: "quantis-forecaster",
  version: "5",
  aliases: ["champion"],
  run_id: null,
  source: "models:/quantis-forecaster/5",
  created_at: "2026-01-01T00:00:00Z",
  metrics: {},
  decision: null,
  tags: {},
  feature_importance,
});

describe("FeatureImportance", () => {
  it("draws each group's share in percent, largest first", () => {
    render(<FeatureImportance version={version({ calendar: 0.3, history: 0.6, promo: 0.1 })} />);
    const chart = screen.getByTestId("importance-bars");
    const bars = within(chart).getAllByTestId("bar");
    expect(bars.map((bar) => bar.getAttribute("data-group"))).toEqual([
      "history",
      "calendar",
      "promo",
    ]);
    expect(within(chart).getByText("60%")).toBeTruthy();
    expect(within(chart).getByText("10%")).toBeTruthy();
    const widths = bars.map((bar) => Number(bar.getAttribute("width")));
    expect(widths[0]).toBeCloseTo(widths[2] * 6);
    expect(screen.getByRole("heading").textContent).toMatch(/version 5/);
  });

  it("shows nothing for a version without importance", () => {
    const { container } = render(<FeatureImportance version={version({})} />);
    expect(container.innerHTML).toBe("");
  });
});
