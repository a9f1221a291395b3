import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { saveApiKey } from "./api/keyStore";
import { App } from "./App";
import { answer, datasetFixture, queriesOf, resetFakeApi } from "./test/fakeApi";

vi.mock("./api/client", () => import("./test/fakeApi"));
// uPlot needs matchMedia, which jsdom lacks; no test here draws a chart.
vi.mock("./components/ForecastChart", () => ({ ForecastChart: () => null }));

const DAILY = datasetFixture("default", "D", 28, 30);
const MONTHLY = datasetFixture("monthly", "MS", 18, 4);
const noVersions = (name: string) => ({ name, champion: null, challenger: null, versions: [] });

beforeEach(() => {
  resetFakeApi();
  window.localStorage.clear();
  saveApiKey("qk_test");
  answer("GET", "/api/v1/datasets", [DAILY, MONTHLY]);
  answer("GET", "/api/v1/models", noVersions("quantis-forecaster"));
  answer("GET", "/api/v1/series", { items: [], total: 0, limit: 25, offset: 0 });
});

function go(hash: string) {
  window.location.hash = hash;
}

describe("the dataset switcher", () => {
  it("lists the key's datasets and shows the one the URL names", async () => {
    go("#/models?dataset=monthly");
    render(<App />);
    const switcher = await screen.findByLabelText("Dataset");
    expect((switcher as HTMLSelectElement).value).toBe("monthly");
    const options = within(switcher)
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual([
      "default (D, horizon 28, 30 series)",
      "monthly (MS, horizon 18, 4 series)",
    ]);
    await screen.findByText(/No version of quantis-forecaster/);
    expect(queriesOf("GET", "/api/v1/models")).toEqual([{ dataset: "monthly" }]);
    expect(window.localStorage.getItem("quantis.dataset")).toBe("monthly");
  });

  it("switching puts the dataset in the URL, the links and the view's query", async () => {
    go("#/models");
    render(<App />);
    const switcher = await screen.findByLabelText("Dataset");
    expect((switcher as HTMLSelectElement).value).toBe("default");
    await waitFor(() =>
      expect(queriesOf("GET", "/api/v1/models")).toEqual([{ dataset: "default" }]),
    );
    await userEvent.selectOptions(switcher, "monthly");
    await waitFor(() => expect(window.location.hash).toBe("#/models?dataset=monthly"));
    await waitFor(() =>
      expect(queriesOf("GET", "/api/v1/models").at(-1)).toEqual({ dataset: "monthly" }),
    );
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Series" }).getAttribute("href")).toBe(
      "#/series?dataset=monthly",
    );
  });

  it("a URL naming no dataset shows the one chosen last in this browser", async () => {
    window.localStorage.setItem("quantis.dataset", "monthly");
    go("#/series");
    render(<App />);
    await screen.findByText(/No series in monthly yet/);
    expect(queriesOf("GET", "/api/v1/series")[0]).toMatchObject({ dataset: "monthly" });
  });

  it("a key that may not see default shows the first dataset it may see", async () => {
    answer("GET", "/api/v1/datasets", [MONTHLY]);
    go("#/models");
    render(<App />);
    expect((await screen.findByTestId("models-dataset")).textContent).toBe("monthly");
    await waitFor(() =>
      expect(queriesOf("GET", "/api/v1/models")).toEqual([{ dataset: "monthly" }]),
    );
  });
});
