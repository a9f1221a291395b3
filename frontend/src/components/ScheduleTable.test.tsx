import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { PipelineSchedule } from "../api/types";
import { ScheduleTable } from "./ScheduleTable";

const schedule = (
  name: string,
  job_name: string,
  status: string,
  next_tick_at: number | null,
): PipelineSchedule => ({
  name,
  cron_schedule: "0 2 * * *",
  execution_timezone: "UTC",
  job_name,
  description: `${name} description`,
  status,
  next_tick_at,
});

const cells = (row: HTMLElement) =>
  within(row)
    .getAllByRole("cell")
    .map((cell) => cell.textContent);

describe("ScheduleTable", () => {
  it("lists schedules soonest first with their job, cron, status and next run", () => {
    render(
      <ScheduleTable
        schedules={[
          schedule("retrain_weekly", "retrain", "STOPPED", null),
          schedule("dr_drill_weekly", "dr_drill", "RUNNING", 2_000_000_000),
          schedule("backup_daily", "backup", "RUNNING", 1_900_000_000),
        ]}
      />,
    );
    const table = screen.getByRole("table", { name: "Schedules" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => cells(row)[0])).toEqual([
      "backup_daily",
      "dr_drill_weekly",
      "retrain_weekly",
    ]);
    const [backup, , retrain] = rows;
    expect(cells(backup)[1]).toBe("backup");
    expect(cells(backup)[2]).toBe("0 2 * * * UTC");
    expect(cells(backup)[3]).toBe("running");
    expect(cells(backup)[4]).toBe(new Date(1_900_000_000_000).toLocaleString());
    expect(cells(retrain)[3]).toBe("stopped");
    expect(cells(retrain)[4]).toBe("—");
  });

  it("says when there are no schedules", () => {
    render(<ScheduleTable schedules={[]} />);
    expect(screen.getByText("The pipeline has no schedules.")).toBeTruthy();
  });
});
