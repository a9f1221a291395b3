import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer, queriesOf, resetFakeApi } from "../test/fakeApi";
import { Models } from "./Models";

vi.mock("../api/client", () => import("../test/fakeApi"));

const version = (number: string, aliases: string[]) => ({
  name: "quantis-forecaster-monthly",
  version: number,
  aliases,
  run_id: null,
  source: null,
  created_at: null,
  metrics: {},
  decision: null,
  tags: {},
});

beforeEach(() => {
  resetFakeApi();
  answer("GET", "/api/v1/models", {
    name: "quantis-forecaster-monthly",
    champion: "1",
    challenger: null,
    versions: [version("1", ["champion"]), version("2", [])],
  });
  answer("GET", "/api/v1/models/{version}/accuracy", {
    version: "1",
    backtest_mase: null,
    live: null,
    live_to_backtest: null,
    degradation_factor: 1.5,
    degraded: false,
    daily: [],
  });
  answer("POST", "/api/v1/models/{version}/promote", version("2", ["champion"]));
  answer("POST", "/api/v1/models/rollback", version("1", ["champion"]));
});

describe("Models of one dataset", () => {
  it("reads the dataset's registry and its champion's accuracy", async () => {
    render(<Models dataset="monthly" />);
    await screen.findByText(/No live accuracy yet/);
    expect(screen.getByTestId("models-dataset").textContent).toBe("monthly");
    expect(queriesOf("GET", "/api/v1/models")).toEqual([{ dataset: "monthly" }]);
    expect(queriesOf("GET", "/api/v1/models/{version}/accuracy")).toEqual([{ dataset: "monthly" }]);
  });

  it("promotes and rolls back the dataset's champion", async () => {
    render(<Models dataset="monthly" />);
    await userEvent.click(await screen.findByRole("button", { name: "Promote version 2" }));
    await userEvent.click(
      within(screen.getByRole("dialog")).getByRole("button", { name: "Promote" }),
    );
    await screen.findByText("Version 2 is now the champion.");
    await userEvent.click(screen.getByRole("button", { name: "Roll back champion" }));
    await userEvent.click(
      within(screen.getByRole("dialog")).getByRole("button", { name: "Roll back" }),
    );
    await screen.findByText("Version 1 is now the champion.");
    expect(queriesOf("POST", "/api/v1/models/{version}/promote")).toEqual([{ dataset: "monthly" }]);
    expect(queriesOf("POST", "/api/v1/models/rollback")).toEqual([{ dataset: "monthly" }]);
    await waitFor(() => expect(queriesOf("GET", "/api/v1/models")).toHaveLength(3));
  });
});
