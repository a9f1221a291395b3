import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer, datasetFixture, queriesOf, resetFakeApi } from "../test/fakeApi";
import { SeriesDetail } from "./SeriesDetail";

vi.mock("../api/client", () => import("../test/fakeApi"));
// uPlot needs matchMedia, which jsdom lacks; the series here has nothing to chart.
vi.mock("../components/ForecastChart", () => ({ ForecastChart: () => null }));

const empty = { items: [], total: 0, limit: 1, offset: 0 };

beforeEach(() => {
  resetFakeApi();
  answer("GET", "/api/v1/series/{series_id}", {
    id: 7,
    dataset_id: 2,
    dataset: "monthly",
    name: "T7",
    frequency: "MS",
    meta: {},
    created_at: "2026-01-01T00:00:00Z",
  });
  answer("GET", "/api/v1/datasets/{name}", datasetFixture("monthly", "MS", 18, 4));
  answer("GET", "/api/v1/series/{series_id}/observations", empty);
  answer("GET", "/api/v1/series/{series_id}/forecasts", empty);
  answer("GET", "/api/v1/series/{series_id}/forecasts/latest", { code: "not_found" }, 404);
  answer("GET", "/api/v1/series/{series_id}/accuracy", {
    series_id: 7,
    name: "T7",
    versions: [],
    outcomes: [],
  });
  answer("POST", "/api/v1/observations/csv", {
    received: 1,
    inserted: 1,
    updated: 0,
    created_series: [],
  });
});

describe("SeriesDetail", () => {
  it("offers its dataset's horizon and links back to its dataset's series", async () => {
    render(<SeriesDetail seriesId={7} />);
    const horizon = (await screen.findByLabelText("Horizon (steps ahead)")) as HTMLInputElement;
    expect(horizon.value).toBe("18");
    expect(screen.getByRole("link", { name: /All series of monthly/ }).getAttribute("href")).toBe(
      "#/series?dataset=monthly",
    );
  });

  it("uploads a CSV into the series' dataset", async () => {
    render(<SeriesDetail seriesId={7} />);
    const file = new File(["series,ts,value\nT7,2026-02-01,1\n"], "t7.csv", { type: "text/csv" });
    await userEvent.upload(await screen.findByLabelText("CSV file"), file);
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() =>
      expect(queriesOf("POST", "/api/v1/observations/csv")).toEqual([{ dataset: "monthly" }]),
    );
  });
});
