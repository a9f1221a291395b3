import { describe, expect, it } from "vitest";
import type { AssetHealthPublic, PipelineRun, PipelineSchedule } from "../api/types";
import {
  assetsWithFailedChecks,
  failedRuns,
  latestRunOf,
  runTone,
  scheduleTone,
  schedulesByNextTick,
} from "./pipeline";

const run = (job_name: string, status: string, created_at: number): PipelineRun => ({
  run_id: `${job_name}-${created_at}`,
  job_name,
  status,
  created_at,
  started_at: created_at,
  ended_at: created_at + 1,
  tags: {},
});

describe("pipeline summaries", () => {
  const runs = [
    run("backup", "SUCCESS", 10),
    run("backup", "FAILURE", 20),
    run("dr_drill", "SUCCESS", 5),
  ];

  it("finds the newest run of a job", () => {
    expect(latestRunOf(runs, "backup")?.status).toBe("FAILURE");
    expect(latestRunOf(runs, "restore")).toBeNull();
  });

  it("lists failed runs and tones statuses", () => {
    expect(failedRuns(runs).map((r) => r.run_id)).toEqual(["backup-20"]);
    expect([runTone("SUCCESS"), runTone("FAILURE"), runTone("STARTED")]).toEqual([
      "good",
      "bad",
      "busy",
    ]);
  });

  it("lists assets whose checks failed", () => {
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
    const assets = [asset("panel", "DEGRADED"), asset("model", "HEALTHY"), asset("raw", "WARNING")];
    expect(assetsWithFailedChecks(assets).map((a) => a.asset_key)).toEqual(["panel", "raw"]);
  });

  it("orders schedules by their next tick, stopped ones last by name", () => {
    const schedule = (name: string, next_tick_at: number | null): PipelineSchedule => ({
      name,
      cron_schedule: "0 * * * *",
      execution_timezone: "UTC",
      job_name: name,
      description: null,
      status: next_tick_at === null ? "STOPPED" : "RUNNING",
      next_tick_at,
    });
    const ordered = schedulesByNextTick([
      schedule("retrain", null),
      schedule("drill", 300),
      schedule("ingest", null),
      schedule("backup", 100),
    ]);
    expect(ordered.map((s) => s.name)).toEqual(["backup", "drill", "ingest", "retrain"]);
    expect([scheduleTone("RUNNING"), scheduleTone("STOPPED")]).toEqual(["good", ""]);
  });
});
