import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiFailure } from "../api/errors";
import { ForecastForm } from "./ForecastForm";

describe("ForecastForm", () => {
  it("requests a forecast with the horizon typed", async () => {
    const onRequest = vi.fn().mockResolvedValue(undefined);
    render(<ForecastForm defaultHorizon={28} onRequest={onRequest} />);
    const input = screen.getByLabelText(/Horizon/);
    await userEvent.clear(input);
    await userEvent.type(input, "14");
    await userEvent.click(screen.getByRole("button", { name: "Request forecast" }));
    expect(onRequest).toHaveBeenCalledWith(14);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("refuses a horizon out of range without calling the API", async () => {
    const onRequest = vi.fn();
    render(<ForecastForm defaultHorizon={28} onRequest={onRequest} />);
    const input = screen.getByLabelText(/Horizon/);
    await userEvent.clear(input);
    await userEvent.type(input, "0");
    await userEvent.keyboard("{Enter}");
    expect(onRequest).not.toHaveBeenCalled();
    expect(screen.getByRole("alert").textContent).toMatch(/between 1 and/);
    expect(input.getAttribute("aria-invalid")).toBe("true");
  });

  it("shows the API's refusal with what to do", async () => {
    const onRequest = vi
      .fn()
      .mockRejectedValue(
        new ApiFailure(503, "model_server_unavailable", "the model server is down"),
      );
    render(<ForecastForm defaultHorizon={7} onRequest={onRequest} />);
    await userEvent.click(screen.getByRole("button", { name: "Request forecast" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/The model server is down\./);
    expect(alert.textContent).toMatch(/try again shortly/);
  });
});
