// A what-if on one series: which covariates and operations it may change, the value typed
// as the covariate's type, the request body, and a run's two forecasts in the chart's shape.
import type {
  CovariatePublic,
  DatasetPublic,
  ScenarioChange,
  ScenarioCreate,
  ScenarioSeriesRun,
} from "../api/types";
import type { ChartForecast } from "./chartData";

export type ScenarioOp = ScenarioChange["op"];

/** The covariates a scenario can change: the dataset's known-in-advance ones. */
export function changeableCovariates(dataset: DatasetPublic): CovariatePublic[] {
  return dataset.covariates.filter((covariate) => covariate.kind === "known_in_advance");
}

/** Scale and add change numbers only; a boolean or a category is set. */
export function opsFor(covariate: CovariatePublic): ScenarioOp[] {
  return covariate.type === "numeric" ? ["set", "scale", "add"] : ["set"];
}

/** The form's text as the covariate's value, or why it is not one. */
export function parseValue(
  covariate: CovariatePublic,
  text: string,
): { value: ScenarioChange["value"] } | { error: string } {
  const trimmed = text.trim();
  if (covariate.type === "boolean") {
    if (trimmed === "true" || trimmed === "false") return { value: trimmed === "true" };
    return { error: `${covariate.name} is on (true) or off (false)` };
  }
  if (covariate.type === "categorical") {
    if (!trimmed) return { error: `give a category of ${covariate.name}` };
    const categories = covariate.categories ?? [];
    if (categories.length > 0 && !categories.includes(trimmed)) {
      return { error: `${trimmed} is not a category of ${covariate.name}` };
    }
    return { value: trimmed };
  }
  const number = Number(trimmed);
  if (!trimmed || !Number.isFinite(number)) return { error: `${text} is not a number` };
  return { value: number };
}

export interface ScenarioForm {
  covariate: string;
  op: ScenarioOp;
  value: ScenarioChange["value"];
  start: string;
  end: string;
}

/** The request body for one series and one change, under a name saying what it does (and
 * when it was asked, so each run of the card is a scenario of its own). */
export function scenarioBody(
  seriesId: number,
  seriesName: string,
  form: ScenarioForm,
  askedAt: Date,
): ScenarioCreate {
  const what = `${form.covariate} ${form.op} ${String(form.value)}`;
  const when = form.start === form.end ? form.start : `${form.start} to ${form.end}`;
  return {
    name: `${seriesName}: ${what}, ${when} (${askedAt.toISOString()})`,
    series: [seriesId],
    changes: [
      {
        covariate: form.covariate,
        op: form.op,
        value: form.value,
        start: form.start,
        end: form.end,
      },
    ],
  };
}

/** One side of a series' run as the chart takes a forecast. */
export function runSide(
  run: ScenarioSeriesRun,
  side: "baseline" | "scenario",
  levels: number[],
): ChartForecast {
  return {
    levels,
    points: run.points.map((point) => ({ ds: point.ds, ...point[side] })),
  };
}
