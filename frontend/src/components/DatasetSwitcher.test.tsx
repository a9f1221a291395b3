import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { datasetFixture } from "../test/fakeApi";
import { DatasetSwitcher } from "./DatasetSwitcher";

describe("DatasetSwitcher", () => {
  it("offers every dataset listed and says which one was picked", async () => {
    const onSwitch = vi.fn();
    const listed = [datasetFixture("default", "D", 28, 3), datasetFixture("monthly", "MS", 18, 2)];
    render(<DatasetSwitcher datasets={listed} selected="default" onSwitch={onSwitch} />);
    await userEvent.selectOptions(screen.getByLabelText("Dataset"), "monthly");
    expect(onSwitch).toHaveBeenCalledWith("monthly");
  });

  it("names the dataset shown when none could be listed (no key yet)", () => {
    render(<DatasetSwitcher datasets={undefined} selected="monthly" onSwitch={vi.fn()} />);
    expect(screen.getByTestId("dataset-shown").textContent).toBe("Dataset: monthly");
    expect(screen.queryByRole("combobox")).toBeNull();
  });
});
