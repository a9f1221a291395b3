import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { AssetHealthPublic, PipelineRun, PipelineSchedule } from "../api/types";
import { PipelineSummary } from "./PipelineSummary";

const run = (job_name: string, status: string, created_at: number): PipelineRun => ({
  run_id: `${job_name}-${created_at}`,
  job_name,
  status,
  created_at,
  started_at: created_at,
  ended_at: created_at + 60,
  tags: {},
});

const asset = (asset_key: string, checks_status: string): AssetHealthPublic => ({
  asset_key,
  group: null,
  last_materialized_at: null,
  last_failed_at: null,
  health: "HEALTHY",
  materialization_status: "HEALTHY",
  checks_status,
  freshness_status: "HEALTHY",
});

const backupDaily: PipelineSchedule = {
  name: "backup_daily",
  cron_schedule: "0 2 * * *",
  execution_timezone: "UTC",
  job_name: "backup",
  description: null,
  status: "RUNNING",
  next_tick_at: 1_900_000_000,
};

describe("PipelineSummary", () => {
  it("shows the last backup and DR drill, failed checks and the runs", () => {
    const runs = [
      run("dr_drill", "FAILURE", 300),
      run("backup", "SUCCESS", 200),
      run("retrain", "STARTED", 100),
    ];
    render(
      <PipelineSummary
        runs={runs}
        assets={[asset("curated_panel", "DEGRADED")]}
        schedules={[backupDaily]}
      />,
    );
    expect(screen.getByText("Last backup:").parentElement?.textContent).toMatch(/success/);
    expect(screen.getByText("Last DR drill:").parentElement?.textContent).toMatch(/failure/);
    expect(screen.getByText(/curated_panel: checks degraded/)).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Last runs (1 failed)" })).toBeTruthy();
    const schedules = within(screen.getByRole("table", { name: "Schedules" }));
    expect(schedules.getByText("backup_daily")).toBeTruthy();
    const rows = within(screen.getByRole("table", { name: "Last runs" }))
      .getAllByRole("row")
      .slice(1);
    expect(rows.map((row) => row.textContent?.split(/failure|success|started/)[0])).toEqual([
      "dr_drill",
      "backup",
      "retrain",
    ]);
  });

  it("says when there is nothing to show", () => {
    render(<PipelineSummary runs={[]} assets={[asset("model", "HEALTHY")]} schedules={[]} />);
    expect(screen.getByText("Last backup:").parentElement?.textContent).toMatch(/no run yet/);
    expect(screen.getByText("No asset has failing checks.")).toBeTruthy();
    expect(screen.getByText(/No runs yet/)).toBeTruthy();
    expect(screen.getByText("The pipeline has no schedules.")).toBeTruthy();
  });
});
