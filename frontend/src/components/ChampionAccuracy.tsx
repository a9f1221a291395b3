// A dataset's champion's live accuracy next to its backtest: MASE, the ratio, coverage and the days.
import type { ReactNode } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { ModelAccuracy } from "../api/types";
import { coverageRows, formatPercent } from "../lib/accuracy";
import { formatNumber } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { ErrorMessage, Loading } from "./States";

const DAYS_SHOWN = 7;

export function ChampionAccuracy({ dataset, version }: { dataset: string; version: string }) {
  const { data, error, loading, reload } = useAsync(
    async () =>
      unwrap(
        await api.GET("/api/v1/models/{version}/accuracy", {
          params: { path: { version }, query: { dataset } },
        }),
      ),
    [dataset, version],
  );
  return (
    <div
      role="region"
      aria-labelledby="champion-accuracy-title"
      className="card wide accuracy-card"
    >
      <h2 id="champion-accuracy-title">Champion live accuracy (version {version})</h2>
      {loading && !data && <Loading what="the champion's live accuracy" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && <AccuracyView accuracy={data} />}
    </div>
  );
}

function figures(accuracy: ModelAccuracy): [string, ReactNode][] {
  const live = accuracy.live;
  if (!live) return [];
  const factor = accuracy.degradation_factor;
  return [
    ["Live MASE", formatNumber(live.mase)],
    ["Backtest MASE", formatNumber(accuracy.backtest_mase)],
    [
      "Live / backtest",
      <>
        {formatNumber(accuracy.live_to_backtest, 2)}{" "}
        <span className={`badge ${accuracy.degraded ? "bad" : "good"}`}>
          {accuracy.degraded ? `degraded (above ${factor}×)` : `within ${factor}×`}
        </span>
      </>,
    ],
    ["sMAPE", formatNumber(live.smape, 2)],
    ["Bias (forecast − actual)", formatNumber(live.bias)],
    ...coverageRows(live.coverage).map((row): [string, ReactNode] => [
      `${row.level}% interval coverage`,
      `${formatPercent(row.live)} (nominal ${formatPercent(row.nominal)})`,
    ]),
  ];
}

export function AccuracyView({ accuracy }: { accuracy: ModelAccuracy }) {
  const live = accuracy.live;
  if (!live) {
    return (
      <p className="state state-empty">
        No live accuracy yet: the monitoring job scores forecasts once their actuals arrive.
      </p>
    );
  }
  return (
    <>
      <dl className="accuracy-figures" data-testid="champion-accuracy">
        {figures(accuracy).map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p className="meta">
        {live.points} forecast points of {live.series} series scored on {live.days} day(s),{" "}
        {live.first_day} to {live.last_day}.
      </p>
      <div className="table-scroll">
        <table aria-label="Live accuracy by day">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Series</th>
              <th scope="col">Points</th>
              <th scope="col">Live MASE</th>
              <th scope="col">sMAPE</th>
              <th scope="col">Bias</th>
            </tr>
          </thead>
          <tbody>
            {accuracy.daily.slice(-DAYS_SHOWN).map((day) => (
              <tr key={day.day}>
                <td>{day.day}</td>
                <td>{day.series}</td>
                <td>{day.points}</td>
                <td>{formatNumber(day.mase)}</td>
                <td>{formatNumber(day.smape, 2)}</td>
                <td>{formatNumber(day.bias)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
