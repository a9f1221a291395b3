// Summaries of Dagster runs, asset health and schedules for the Overview.
import type { AssetHealthPublic, PipelineRun, PipelineSchedule } from "../api/types";

export const BACKUP_JOB = "backup";
export const DR_DRILL_JOB = "dr_drill";
const FAILED_RUN = new Set(["FAILURE", "CANCELED"]);
const FAILED_CHECKS = new Set(["DEGRADED", "WARNING"]);

/** The newest run of `jobName` (runs arrive newest first, but sort to be safe). */
export function latestRunOf(runs: PipelineRun[], jobName: string): PipelineRun | null {
  const ofJob = runs.filter((run) => run.job_name === jobName);
  ofJob.sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  return ofJob[0] ?? null;
}

export function failedRuns(runs: PipelineRun[]): PipelineRun[] {
  return runs.filter((run) => FAILED_RUN.has(run.status));
}

/** Assets whose checks failed (Dagster reports DEGRADED for errors, WARNING for warnings). */
export function assetsWithFailedChecks(assets: AssetHealthPublic[]): AssetHealthPublic[] {
  return assets.filter((asset) => FAILED_CHECKS.has(asset.checks_status));
}

/** "success", "failed", "running" for a run status badge. */
export function runTone(status: string): "good" | "bad" | "busy" {
  if (status === "SUCCESS") return "good";
  if (FAILED_RUN.has(status)) return "bad";
  return "busy";
}

/** Running schedules first, soonest next tick first; then stopped ones by name. */
export function schedulesByNextTick(schedules: PipelineSchedule[]): PipelineSchedule[] {
  const next = (schedule: PipelineSchedule) => schedule.next_tick_at ?? Number.POSITIVE_INFINITY;
  return [...schedules].sort((a, b) => next(a) - next(b) || a.name.localeCompare(b.name));
}

/** "good" for a running schedule, "" (a plain badge) for a stopped one. */
export function scheduleTone(status: string): "good" | "" {
  return status === "RUNNING" ? "good" : "";
}
