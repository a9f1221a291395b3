import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiFailure } from "../api/errors";
import { CsvUpload } from "./CsvUpload";

const csv = () => new File(["series,ts,value\ns1,2024-01-01,1\n"], "obs.csv", { type: "text/csv" });

describe("CsvUpload", () => {
  it("uploads the chosen file and reports what was written", async () => {
    const onUpload = vi
      .fn()
      .mockResolvedValue({ rows: 1, inserted: 1, updated: 0, series_created: [] });
    render(<CsvUpload onUpload={onUpload} />);
    await userEvent.upload(screen.getByLabelText("CSV file"), csv());
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    expect(onUpload).toHaveBeenCalledWith(expect.objectContaining({ name: "obs.csv" }));
    expect((await screen.findByRole("status")).textContent).toMatch(
      /1 rows received: 1 new, 0 updated/,
    );
  });

  it("lists every rejected row with its line and reason", async () => {
    const failure = new ApiFailure(
      422,
      "invalid_rows",
      "the CSV has invalid rows: 2 problem(s); nothing was written",
      [
        {
          loc: ["file", 3, "value"],
          message: "value 'abc' is not a finite number",
          type: "invalid_value",
        },
        {
          loc: ["file", 5, "ts"],
          message: "timestamp 'soon' is not ISO 8601",
          type: "invalid_timestamp",
        },
      ],
    );
    render(<CsvUpload onUpload={vi.fn().mockRejectedValue(failure)} />);
    await userEvent.upload(screen.getByLabelText("CSV file"), csv());
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/nothing was written/);
    const rows = screen
      .getAllByRole("row")
      .slice(1)
      .map((row) => row.textContent);
    expect(rows).toEqual([
      "line 3, valuevalue 'abc' is not a finite number",
      "line 5, tstimestamp 'soon' is not ISO 8601",
    ]);
  });

  it("asks for a file when none is chosen", async () => {
    const onUpload = vi.fn();
    render(<CsvUpload onUpload={onUpload} />);
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    expect(onUpload).not.toHaveBeenCalled();
    expect(screen.getByRole("alert").textContent).toMatch(/Choose a CSV file/);
  });
});
