// One series' forecasts against what happened: live figures per model version and each point.
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { SeriesAccuracy as SeriesAccuracyData } from "../api/types";
import { insideWidest } from "../lib/accuracy";
import { formatDateTime, formatNumber } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { ErrorMessage, Loading } from "./States";

const OUTCOMES_SHOWN = 20;

export function SeriesAccuracy({ seriesId }: { seriesId: number }) {
  const { data, error, loading, reload } = useAsync(
    async () =>
      unwrap(
        await api.GET("/api/v1/series/{series_id}/accuracy", {
          params: { path: { series_id: seriesId }, query: { limit: OUTCOMES_SHOWN } },
        }),
      ),
    [seriesId],
  );
  return (
    <div role="region" aria-labelledby="series-accuracy-title">
      <h2 id="series-accuracy-title">Forecasts against what happened</h2>
      {loading && !data && <Loading what="this series' forecast errors" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && <SeriesAccuracyView accuracy={data} />}
    </div>
  );
}

export function SeriesAccuracyView({ accuracy }: { accuracy: SeriesAccuracyData }) {
  if (accuracy.outcomes.length === 0) {
    return <p className="state state-empty">No forecast of this series has met its actual yet.</p>;
  }
  return (
    <>
      {accuracy.versions.length > 0 && (
        <p className="meta" data-testid="series-accuracy-versions">
          {accuracy.versions
            .map(
              (v) =>
                `version ${v.version}: live MASE ${formatNumber(v.mase)}, bias ${formatNumber(
                  v.bias,
                )} over ${v.points} point(s)`,
            )
            .join("; ")}
        </p>
      )}
      <div className="table-scroll">
        <table aria-label="Forecast errors">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Version</th>
              <th scope="col">Forecast</th>
              <th scope="col">Actual</th>
              <th scope="col">Error</th>
              <th scope="col">Interval</th>
            </tr>
          </thead>
          <tbody>
            {accuracy.outcomes.map((outcome) => {
              const interval = insideWidest(outcome);
              return (
                <tr key={`${outcome.version}-${outcome.ds}`}>
                  <td>{formatDateTime(outcome.ds)}</td>
                  <td>{outcome.version}</td>
                  <td>{formatNumber(outcome.forecast)}</td>
                  <td>{formatNumber(outcome.actual)}</td>
                  <td>{formatNumber(outcome.error)}</td>
                  <td>
                    {interval && (
                      <span className={`badge ${interval.inside ? "good" : "bad"}`}>
                        {interval.inside ? "inside" : "outside"} {interval.level}%
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
