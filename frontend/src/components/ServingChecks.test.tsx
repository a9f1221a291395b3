import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Readiness } from "../api/types";
import { ServingChecks } from "./ServingChecks";

const readiness = (modelServerOk: boolean, model: Readiness["model"]): Readiness => ({
  status: modelServerOk ? "ready" : "not ready",
  database: { ok: true, detail: "database reachable" },
  model_server: { ok: modelServerOk, detail: modelServerOk ? "ready" : "cannot be reached" },
  model,
});

describe("ServingChecks", () => {
  it("shows each check and the served model's version", () => {
    render(
      <ServingChecks readiness={readiness(true, { name: "quantis-forecaster", version: "7" })} />,
    );
    expect(screen.getByText(/Model server:/).textContent).toMatch(/^ready Model server: ready/);
    expect(screen.getByText(/Database:/).textContent).toMatch(/^ready Database/);
    expect(screen.getByTestId("served-model").textContent).toBe(
      "Served model: quantis-forecaster version 7",
    );
  });

  it("says the served model is unknown while the model server is down", () => {
    render(<ServingChecks readiness={readiness(false, null)} />);
    expect(screen.getByText(/Model server:/).textContent).toMatch(/^down/);
    expect(screen.getByTestId("served-model").textContent).toMatch(/unknown/);
  });
});
