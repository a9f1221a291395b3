import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CovariatePublic } from "../api/types";
import { answer, calls, datasetFixture, resetFakeApi } from "../test/fakeApi";
import { WhatIf } from "./WhatIf";

vi.mock("../api/client", () => import("../test/fakeApi"));
// uPlot needs matchMedia, which jsdom lacks: the chart is stood in for, its columns kept.
const charted: unknown[] = [];
vi.mock("./ForecastChart", () => ({
  ForecastChart: ({ columns }: { columns: unknown }) => {
    charted.push(columns);
    return <div data-testid="chart" />;
  },
}));

const PATH = "/api/v1/datasets/{name}/scenarios";
const covariate = (
  name: string,
  type: CovariatePublic["type"],
  kind: CovariatePublic["kind"] = "known_in_advance",
): CovariatePublic => ({
  name,
  type,
  kind,
  country: null,
  subdivision: null,
  categories: [],
});
const DATASET = {
  ...datasetFixture("retail", "D", 3, 2),
  covariates: [
    covariate("region", "numeric", "static"),
    covariate("promo", "boolean"),
    covariate("price", "numeric"),
  ],
};
const band = (yhat: number) => ({ yhat, lower: { "80": yhat - 1 }, upper: { "80": yhat + 1 } });
const point = (ds: string, base: number, changed: number) => ({
  ds,
  baseline: band(base),
  scenario: band(changed),
  difference: changed - base,
});

beforeEach(() => {
  resetFakeApi();
  charted.length = 0;
  answer(
    "POST",
    PATH,
    {
      id: 1,
      dataset: "retail",
      name: "x",
      spec: { name: "x", series: [7], horizon: null, changes: [] },
      created_at: "2026-01-01T00:00:00Z",
      last_run_at: "2026-01-01T00:00:00Z",
      last_model_version: "3",
      last_total_difference: 7,
      last_run: {
        model_name: "quantis-retail",
        model_version: "3",
        horizon: 3,
        levels: [80],
        ran_at: "2026-01-01T00:00:00Z",
        total_difference: 7,
        series: [
          {
            series_id: 7,
            series: "T7",
            total_difference: 7,
            points: [
              point("2030-01-01T00:00:00Z", 10, 10),
              point("2030-01-02T00:00:00Z", 10, 15),
              point("2030-01-03T00:00:00Z", 10, 12),
            ],
          },
        ],
      },
    },
    201,
  );
});

function renderCard(dataset = DATASET) {
  render(<WhatIf seriesId={7} seriesName="T7" dataset={dataset} history={[]} />);
}

async function fill(value: string, start = "2030-01-02", end = "2030-01-03") {
  await userEvent.selectOptions(screen.getByLabelText("Value"), value);
  await userEvent.type(screen.getByLabelText("From"), start);
  await userEvent.type(screen.getByLabelText("to"), end);
}

describe("WhatIf", () => {
  it("offers the known-in-advance covariates; a boolean is only set", async () => {
    renderCard();
    const options = (label: string) =>
      Array.from((screen.getByLabelText(label) as HTMLSelectElement).options).map((o) => o.value);
    expect(options("Covariate")).toEqual(["promo", "price"]);
    expect(options("Change")).toEqual(["set"]);
    await userEvent.selectOptions(screen.getByLabelText("Covariate"), "price");
    expect(options("Change")).toEqual(["set", "scale", "add"]);
  });

  it("runs the change as a scenario and shows both forecasts and the total difference", async () => {
    renderCard();
    await fill("true");
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    await screen.findByTestId("what-if-result");
    const [call] = calls.filter((c) => c.method === "POST");
    const body = (call.init as { body: { series: number[]; changes: unknown[] } }).body;
    expect(body.series).toEqual([7]);
    expect(body.changes).toEqual([
      { covariate: "promo", op: "set", value: true, start: "2030-01-02", end: "2030-01-03" },
    ]);
    const columns = charted.at(-1) as { forecast: number[]; scenario: { line: number[] } };
    expect(columns.forecast).toEqual([10, 10, 10]);
    expect(columns.scenario.line).toEqual([10, 15, 12]);
    const total = screen.getByTestId("what-if-total").textContent ?? "";
    expect(total).toMatch(/Total difference over 3 steps: \+7/);
    expect(total).toMatch(/scenario 37 against baseline 30/);
    expect(total).toMatch(/version 3/);
  });

  it("says what is wrong before asking, and shows the API's refusal", async () => {
    renderCard();
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    expect(screen.getByRole("alert").textContent).toMatch(/on \(true\) or off \(false\)/);
    await fill("false", "2030-01-03", "2030-01-02");
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    expect(screen.getByRole("alert").textContent).toMatch(/first date is after the last/);
    expect(calls).toEqual([]);
    answer(
      "POST",
      PATH,
      { error: { code: "invalid_scenario", message: "changes[0]: not within the horizon" } },
      422,
    );
    await userEvent.clear(screen.getByLabelText("to"));
    await userEvent.type(screen.getByLabelText("to"), "2030-01-09");
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/not within the horizon/);
  });

  it("says so when the dataset has nothing to change", () => {
    renderCard({ ...DATASET, covariates: [covariate("region", "numeric", "static")] });
    expect(screen.getByText(/declares no known-in-advance covariate/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Run" })).toBeNull();
  });
});
