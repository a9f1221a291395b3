// Shapes a series' history and one forecast into the column layout uPlot draws:
// one shared x axis (epoch seconds) and one y column per line or band edge, null where a
// column has no value at that time (history stops where the forecast starts).
import type { ForecastPublic, ObservationPublic } from "../api/types";

export interface IntervalBand {
  level: number;
  lower: (number | null)[];
  upper: (number | null)[];
}

export interface ChartColumns {
  x: number[];
  history: (number | null)[];
  forecast: (number | null)[];
  /** Widest band first, so narrower bands are drawn on top of it. */
  bands: IntervalBand[];
  /** A second forecast of the same dates (a what-if scenario's), with its own bands. */
  scenario?: { line: (number | null)[]; bands: IntervalBand[] };
}

/** What the chart needs of a forecast: its points and interval levels. */
export type ChartForecast = Pick<ForecastPublic, "points" | "levels">;

function epochSeconds(timestamp: string): number {
  const millis = Date.parse(timestamp);
  if (Number.isNaN(millis)) {
    throw new Error(`timestamp ${JSON.stringify(timestamp)} is not a valid date`);
  }
  return millis / 1000;
}

/** Columns for the chart; the forecast may be absent (history only). */
export function shapeChartColumns(
  history: ObservationPublic[],
  forecast: ChartForecast | null,
): ChartColumns {
  const actual = new Map(history.map((o) => [epochSeconds(o.ts), o.value]));
  const points = new Map((forecast?.points ?? []).map((p) => [epochSeconds(p.ds), p]));
  const x = [...new Set([...actual.keys(), ...points.keys()])].sort((a, b) => a - b);
  const levels = [...(forecast?.levels ?? [])].sort((a, b) => b - a);
  const bound = (side: "lower" | "upper", level: number) =>
    x.map((t) => points.get(t)?.[side][String(level)] ?? null);
  const forecastLine = x.map((t) => points.get(t)?.yhat ?? null);
  joinForecastToHistory(x, actual, points, forecastLine);
  return {
    x,
    history: x.map((t) => actual.get(t) ?? null),
    forecast: forecastLine,
    bands: levels.map((level) => ({
      level,
      lower: bound("lower", level),
      upper: bound("upper", level),
    })),
  };
}

/** Starts the forecast line at the last actual value when the forecast begins after the
 * history ends, so the eye follows one line from what happened into what is expected. */
function joinForecastToHistory(
  x: number[],
  actual: Map<number, number>,
  points: Map<number, unknown>,
  forecastLine: (number | null)[],
): void {
  if (actual.size === 0 || points.size === 0) return;
  const lastActual = Math.max(...actual.keys());
  if (lastActual < Math.min(...points.keys())) {
    forecastLine[x.indexOf(lastActual)] = actual.get(lastActual) ?? null;
  }
}

/** `baseline`'s columns with `scenario` (a forecast of the same dates) as a second line
 * with its bands, joined to the history as the baseline is. */
export function shapeScenarioColumns(
  history: ObservationPublic[],
  baseline: ChartForecast,
  scenario: ChartForecast,
): ChartColumns {
  const columns = shapeChartColumns(history, baseline);
  const changed = shapeChartColumns(history, scenario);
  return { ...columns, scenario: { line: changed.forecast, bands: changed.bands } };
}

/** The columns in uPlot's order: x, history, forecast, lower/upper of each band, then the
 * scenario's line and its bands' lower/upper when there is one. */
export function toAlignedData(columns: ChartColumns): (number | null)[][] {
  const edges = (bands: IntervalBand[]) => bands.flatMap((band) => [band.lower, band.upper]);
  const scenario = columns.scenario
    ? [columns.scenario.line, ...edges(columns.scenario.bands)]
    : [];
  return [columns.x, columns.history, columns.forecast, ...edges(columns.bands), ...scenario];
}
