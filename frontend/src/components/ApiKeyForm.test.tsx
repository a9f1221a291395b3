import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { readApiKey, saveApiKey } from "../api/keyStore";
import { ApiKeyForm } from "./ApiKeyForm";

describe("ApiKeyForm", () => {
  it("keeps the key in the session and shows its name and scopes", async () => {
    const lookUp = vi
      .fn()
      .mockResolvedValue({ valid: true, name: "analyst", scopes: ["read", "write"] });
    render(<ApiKeyForm lookUp={lookUp} />);
    await userEvent.type(screen.getByLabelText("API key"), "  qk_secret ");
    await userEvent.click(screen.getByRole("button", { name: "Save key" }));
    expect(readApiKey()).toBe("qk_secret");
    const shown = (await screen.findByTestId("key-scopes")).textContent;
    expect(shown).toMatch(/Key “analyst” accepted\. Scopes: read, write\./);
    expect(lookUp).toHaveBeenCalledTimes(1);
  });

  it("says when the API does not know the key", async () => {
    render(<ApiKeyForm lookUp={vi.fn().mockResolvedValue({ valid: false, scopes: [] })} />);
    await userEvent.type(screen.getByLabelText("API key"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Save key" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/does not know this key/);
  });

  it("checks a key already stored, and forgets it on request", async () => {
    saveApiKey("stored");
    const lookUp = vi.fn().mockResolvedValue({ valid: true, scopes: ["read", "write", "admin"] });
    render(<ApiKeyForm lookUp={lookUp} />);
    expect((await screen.findByTestId("key-scopes")).textContent).toMatch(
      /Key accepted\. Scopes: read, write, admin\./,
    );
    await userEvent.click(screen.getByRole("button", { name: "Forget key" }));
    expect(readApiKey()).toBeNull();
    expect((screen.getByLabelText("API key") as HTMLInputElement).value).toBe("");
  });
});
