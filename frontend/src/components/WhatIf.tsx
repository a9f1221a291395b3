// "What if": on a series page, change one known-in-advance covariate on some dates of the
// horizon (switch a promotion on, scale a price), run it as a stored scenario of the dataset,
// and see the baseline and the scenario forecasts on one chart with their total difference.
import { type FormEvent, useMemo, useState } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { DatasetPublic, ObservationPublic, ScenarioPublic } from "../api/types";
import { shapeScenarioColumns } from "../lib/chartData";
import { formatNumber, formatSigned } from "../lib/format";
import {
  changeableCovariates,
  opsFor,
  parseValue,
  runSide,
  type ScenarioOp,
  scenarioBody,
} from "../lib/scenario";
import { ForecastChart } from "./ForecastChart";
import { ErrorMessage, Loading } from "./States";

type State =
  | { kind: "idle" }
  | { kind: "running" }
  | { kind: "failed"; error: unknown }
  | { kind: "done"; scenario: ScenarioPublic };

interface Props {
  seriesId: number;
  seriesName: string;
  dataset: DatasetPublic;
  history: ObservationPublic[];
}

export function WhatIf({ seriesId, seriesName, dataset, history }: Props) {
  const covariates = changeableCovariates(dataset);
  const [name, setName] = useState(covariates[0]?.name ?? "");
  const covariate = covariates.find((c) => c.name === name);
  const [op, setOp] = useState<ScenarioOp>("set");
  const [value, setValue] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [state, setState] = useState<State>({ kind: "idle" });

  if (!covariate) {
    return (
      <div role="region" aria-labelledby="what-if-title" className="what-if">
        <h2 id="what-if-title">What if</h2>
        <p className="state state-empty">
          Dataset {dataset.name} declares no known-in-advance covariate to change.
        </p>
      </div>
    );
  }

  async function run(event: FormEvent) {
    event.preventDefault();
    if (!covariate) return;
    const parsed = parseValue(covariate, value);
    if ("error" in parsed) return setProblem(parsed.error);
    if (!start || !end) return setProblem("pick the first and the last date to change");
    if (start > end) return setProblem("the first date is after the last");
    setProblem(null);
    setState({ kind: "running" });
    const form = { covariate: covariate.name, op, value: parsed.value, start, end };
    try {
      const scenario = unwrap(
        await api.POST("/api/v1/datasets/{name}/scenarios", {
          params: { path: { name: dataset.name } },
          body: scenarioBody(seriesId, seriesName, form, new Date()),
        }),
      );
      setState({ kind: "done", scenario });
    } catch (error) {
      setState({ kind: "failed", error });
    }
  }

  const ops = opsFor(covariate);
  return (
    <div role="region" aria-labelledby="what-if-title" className="what-if">
      <h2 id="what-if-title">What if</h2>
      <form onSubmit={run} className="what-if-form">
        <label>
          Covariate{" "}
          <select
            value={covariate.name}
            onChange={(e) => {
              setName(e.target.value);
              setOp("set");
              setValue("");
            }}
          >
            {covariates.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>{" "}
        <label>
          Change{" "}
          <select value={op} onChange={(e) => setOp(e.target.value as ScenarioOp)}>
            {ops.map((o) => (
              <option key={o} value={o}>
                {o === "set" ? "set to" : o === "scale" ? "multiply by" : "add"}
              </option>
            ))}
          </select>
        </label>{" "}
        <label>
          Value{" "}
          {covariate.type === "boolean" ? (
            <select value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="">choose</option>
              <option value="true">on (true)</option>
              <option value="false">off (false)</option>
            </select>
          ) : (
            <input value={value} onChange={(e) => setValue(e.target.value)} size={8} />
          )}
        </label>{" "}
        <label>
          From <input type="date" value={start} onChange={(e) => setStart(e.target.value)} />
        </label>{" "}
        <label>
          to <input type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
        </label>{" "}
        <button type="submit" disabled={state.kind === "running"}>
          Run
        </button>
        <p className="hint">
          Dates within the forecast horizon (the dataset&apos;s: {dataset.effective_horizon} steps
          after the last observation). The run is kept as a scenario of {dataset.name}.
        </p>
        {problem && (
          <p className="state state-error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {state.kind === "running" && <Loading what="both forecasts" />}
      {state.kind === "failed" && <ErrorMessage error={state.error} />}
      {state.kind === "done" && (
        <ScenarioResult scenario={state.scenario} seriesId={seriesId} history={history} />
      )}
    </div>
  );
}

function ScenarioResult({
  scenario,
  seriesId,
  history,
}: {
  scenario: ScenarioPublic;
  seriesId: number;
  history: ObservationPublic[];
}) {
  const run = scenario.last_run;
  const series = run?.series.find((s) => s.series_id === seriesId);
  const columns = useMemo(
    () =>
      run && series
        ? shapeScenarioColumns(
            history,
            runSide(series, "baseline", run.levels),
            runSide(series, "scenario", run.levels),
          )
        : null,
    [run, series, history],
  );
  if (!run || !series || !columns) return null;
  const baseline = series.points.reduce((sum, p) => sum + p.baseline.yhat, 0);
  return (
    <div data-testid="what-if-result">
      <ForecastChart columns={columns} title="Baseline and scenario forecasts" />
      <p className="meta" data-testid="what-if-total">
        Total difference over {series.points.length} steps:{" "}
        <strong>{formatSigned(series.total_difference)}</strong> (scenario{" "}
        {formatNumber(baseline + series.total_difference)} against baseline {formatNumber(baseline)}
        ), by {run.model_name} version {run.model_version}.
      </p>
    </div>
  );
}
