import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer, queriesOf, resetFakeApi } from "../test/fakeApi";
import { ForecastExplanation } from "./ForecastExplanation";

vi.mock("../api/client", () => import("../test/fakeApi"));

const PATH = "/api/v1/series/{series_id}/explanation";

const point = (ds: string, contributions: Record<string, number>) => ({
  ds,
  base: 0.1,
  contributions,
  raw: 0,
  yhat: 12,
});

beforeEach(() => {
  resetFakeApi();
  answer("GET", PATH, {
    series_id: 7,
    dataset: "monthly",
    model_name: "quantis-forecaster-monthly",
    model_version: "4",
    horizon: 2,
    points: [
      point("2026-02-01T00:00:00Z", { history: 0.3, calendar: -0.2, promo: 0.05 }),
      point("2026-03-01T00:00:00Z", { history: 0.1, calendar: -0.1, promo: 0.05 }),
    ],
  });
});

function bars() {
  return within(screen.getByTestId("explanation-bars"))
    .getAllByTestId("bar")
    .map((bar) => [bar.getAttribute("data-group"), Number(bar.getAttribute("data-value"))]);
}

describe("ForecastExplanation", () => {
  it("asks nothing until Explain is pressed", () => {
    render(<ForecastExplanation seriesId={7} horizon={2} />);
    expect(screen.getByRole("button", { name: "Explain" })).toBeTruthy();
    expect(queriesOf("GET", PATH)).toEqual([]);
  });

  it("draws each group's contribution summed over the steps, either side of zero", async () => {
    render(<ForecastExplanation seriesId={7} horizon={2} />);
    await userEvent.click(screen.getByRole("button", { name: "Explain" }));
    await screen.findByTestId("explanation-bars");
    expect(queriesOf("GET", PATH)).toEqual([{ horizon: 2 }]);
    const drawn = bars();
    expect(drawn.map(([group]) => group)).toEqual(["history", "calendar", "promo"]);
    expect(drawn[0][1]).toBeCloseTo(0.4);
    expect(drawn[1][1]).toBeCloseTo(-0.3);
    expect(drawn[2][1]).toBeCloseTo(0.1);
    const rects = screen.getAllByTestId("bar");
    const zero = Number(rects[1].getAttribute("x")) + Number(rects[1].getAttribute("width"));
    expect(Number(rects[0].getAttribute("x"))).toBeCloseTo(zero); // positive: right of zero
    expect(Number(rects[0].getAttribute("width"))).toBeGreaterThan(
      Number(rects[1].getAttribute("width")),
    );
    expect(screen.getByRole("img", { name: /summed over the 2 forecast steps/ })).toBeTruthy();
    expect(screen.getByTestId("explanation-note").textContent).toMatch(
      /LightGBM member.*transformed space/,
    );
  });

  it("leaves the horizon to the API (the dataset's) when there is no forecast", async () => {
    render(<ForecastExplanation seriesId={7} />);
    await userEvent.click(screen.getByRole("button", { name: "Explain" }));
    await screen.findByTestId("explanation-bars");
    expect(queriesOf("GET", PATH)).toEqual([{}]);
  });

  /** The alert shown after Explain when the API answers `status` with `message`. */
  async function explainFailing(status: number, code: string, message: string) {
    answer("GET", PATH, { error: { code, message } }, status);
    render(<ForecastExplanation seriesId={7} horizon={2} />);
    await userEvent.click(screen.getByRole("button", { name: "Explain" }));
    return screen.findByRole("alert");
  }

  it("shows the API's message for a champion without a LightGBM member", async () => {
    const alert = await explainFailing(
      422,
      "not_explainable",
      "the champion has no LightGBM member",
    );
    expect(alert.textContent).toMatch("The champion has no LightGBM member.");
    expect(screen.queryByTestId("explanation-bars")).toBeNull();
  });

  it("shows a 503's message with its advice, and tries again", async () => {
    const alert = await explainFailing(
      503,
      "dataset_not_served",
      "no champion of monthly is served",
    );
    expect(alert.textContent).toMatch(/No champion of monthly is served\. A service/);
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    await screen.findByRole("alert");
    expect(queriesOf("GET", PATH)).toHaveLength(2);
  });
});
