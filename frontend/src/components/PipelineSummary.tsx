// Pipeline health from Dagster: last backup and DR drill, schedules, failed checks, the
// latest runs.
import type { AssetHealthPublic, PipelineRun, PipelineSchedule } from "../api/types";
import { formatDateTime } from "../lib/format";
import { dagsterUrl } from "../lib/links";
import {
  assetsWithFailedChecks,
  BACKUP_JOB,
  DR_DRILL_JOB,
  failedRuns,
  latestRunOf,
  runTone,
} from "../lib/pipeline";
import { ScheduleTable } from "./ScheduleTable";

const RUNS_SHOWN = 10;

function RunLine({ label, run }: { label: string; run: PipelineRun | null }) {
  return (
    <li>
      <strong>{label}:</strong>{" "}
      {run ? (
        <>
          <span className={`badge ${runTone(run.status)}`}>{run.status.toLowerCase()}</span>{" "}
          {formatDateTime(run.ended_at ?? run.started_at ?? run.created_at)}
        </>
      ) : (
        "no run yet"
      )}
    </li>
  );
}

export function PipelineSummary({
  runs,
  assets,
  schedules,
}: {
  runs: PipelineRun[];
  assets: AssetHealthPublic[];
  schedules: PipelineSchedule[];
}) {
  const failing = assetsWithFailedChecks(assets);
  const failed = failedRuns(runs);
  return (
    <>
      <ul className="plain">
        <RunLine label="Last backup" run={latestRunOf(runs, BACKUP_JOB)} />
        <RunLine label="Last DR drill" run={latestRunOf(runs, DR_DRILL_JOB)} />
      </ul>
      <h3>Schedules</h3>
      <ScheduleTable schedules={schedules} />
      <p className="hint">
        Switch schedules on or off on{" "}
        <a href={`${dagsterUrl()}/automation`}>Dagster's automation page</a>.
      </p>
      <h3>Failed checks</h3>
      {failing.length === 0 ? (
        <p>No asset has failing checks.</p>
      ) : (
        <ul>
          {failing.map((asset) => (
            <li key={asset.asset_key}>
              {asset.asset_key}: checks {asset.checks_status.toLowerCase()}
            </li>
          ))}
        </ul>
      )}
      <h3>Last runs {failed.length > 0 && `(${failed.length} failed)`}</h3>
      {runs.length === 0 ? (
        <p className="state state-empty">No runs yet: launch the pipeline from the Dagster UI.</p>
      ) : (
        <div className="table-scroll">
          <table aria-label="Last runs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {runs.slice(0, RUNS_SHOWN).map((run) => (
                <tr key={run.run_id}>
                  <td>{run.job_name}</td>
                  <td>
                    <span className={`badge ${runTone(run.status)}`}>
                      {run.status.toLowerCase()}
                    </span>
                  </td>
                  <td>{formatDateTime(run.started_at)}</td>
                  <td>{formatDateTime(run.ended_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
