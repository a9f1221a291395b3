// "What drives this forecast": on request (a model call, so not on every page view), the
// series' dataset's champion's LightGBM member taken apart by feature group, summed over the
// horizon's steps, as bars either side of zero.
import { useState } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { SeriesExplanation } from "../api/types";
import { contributionTotals } from "../lib/explanation";
import { formatSigned } from "../lib/format";
import { BarChart } from "./BarChart";
import { ErrorMessage, Loading } from "./States";

type State =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "failed"; error: unknown }
  | { kind: "explained"; explanation: SeriesExplanation };

/** `horizon`: the steps to explain (the forecast on the chart's); the dataset's when absent. */
export function ForecastExplanation({ seriesId, horizon }: { seriesId: number; horizon?: number }) {
  const [state, setState] = useState<State>({ kind: "idle" });

  async function explain() {
    setState({ kind: "loading" });
    try {
      const explanation = unwrap(
        await api.GET("/api/v1/series/{series_id}/explanation", {
          params: { path: { series_id: seriesId }, query: horizon ? { horizon } : {} },
        }),
      );
      setState({ kind: "explained", explanation });
    } catch (error) {
      setState({ kind: "failed", error });
    }
  }

  return (
    <div role="region" aria-labelledby="explanation-title" className="explanation">
      <h2 id="explanation-title">What drives this forecast</h2>
      <p>
        <button type="button" onClick={explain} disabled={state.kind === "loading"}>
          Explain
        </button>{" "}
        <span className="hint">Asks the model server; nothing is stored.</span>
      </p>
      {state.kind === "loading" && <Loading what="the explanation" />}
      {state.kind === "failed" && <ErrorMessage error={state.error} onRetry={explain} />}
      {state.kind === "explained" && <ExplanationView explanation={state.explanation} />}
    </div>
  );
}

export function ExplanationView({ explanation }: { explanation: SeriesExplanation }) {
  const bars = contributionTotals(explanation);
  const steps = explanation.points.length;
  if (bars.length === 0) {
    return <p className="state state-empty">The model gave no feature contributions.</p>;
  }
  const title = `Contribution per feature group, summed over the ${steps} forecast steps`;
  return (
    <figure className="chart">
      <BarChart
        bars={bars}
        title={title}
        format={(v) => formatSigned(v)}
        testId="explanation-bars"
      />
      <figcaption>
        {title}, by {explanation.model_name} version {explanation.model_version}.{" "}
        <span data-testid="explanation-note">
          Contributions belong to the model&apos;s LightGBM member and are in its transformed space
          (log, then seasonally differenced), not in the series&apos; units; the champion&apos;s
          forecast also averages in its statistical members.
        </span>
      </figcaption>
    </figure>
  );
}
