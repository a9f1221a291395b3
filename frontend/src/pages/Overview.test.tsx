import { render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer, queriesOf, resetFakeApi } from "../test/fakeApi";
import { Overview } from "./Overview";

vi.mock("../api/client", () => import("../test/fakeApi"));

beforeEach(() => {
  resetFakeApi();
  const up = { ok: true, detail: "up" };
  answer("GET", "/ready", { status: "ok", database: up, model_server: up, model: null });
  answer("GET", "/metrics", "");
  answer("GET", "/api/v1/models", {
    name: "quantis-forecaster-monthly",
    champion: null,
    challenger: null,
    versions: [],
  });
  answer("GET", "/api/v1/pipeline/runs", []);
  answer("GET", "/api/v1/pipeline/assets", []);
  answer("GET", "/api/v1/pipeline/schedules", []);
});

describe("Overview of one dataset", () => {
  it("shows the dataset's champion and its pipeline runs", async () => {
    render(<Overview dataset="monthly" />);
    await screen.findByText(/No version of quantis-forecaster-monthly holds the champion/);
    await screen.findByText(/No runs yet/);
    expect(screen.getByTestId("overview-dataset").textContent).toBe("monthly");
    expect(queriesOf("GET", "/api/v1/models")).toEqual([{ dataset: "monthly" }]);
    await waitFor(() =>
      expect(queriesOf("GET", "/api/v1/pipeline/runs")).toEqual([
        { limit: 50, dataset: "monthly" },
      ]),
    );
  });
});
