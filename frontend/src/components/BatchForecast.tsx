// The latest batch forecast of a series (written for every series after a roll-out or
// nightly): how to load it, and the note that says what the chart shows.
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { ForecastPublic } from "../api/types";
import { formatDateTime } from "../lib/format";

/** The newest batch forecast of the series, or null when none was stored yet. */
export async function loadLatestBatch(seriesId: number): Promise<ForecastPublic | null> {
  const answer = await api.GET("/api/v1/series/{series_id}/forecasts/latest", {
    params: { path: { series_id: seriesId }, query: { kind: "batch" } },
  });
  if (answer.response.status === 404) return null;
  return unwrap(answer);
}

/** Which forecast the page shows: one just requested, else the latest batch forecast,
 * else the latest stored one of any kind. */
export function shownForecast(
  requested: ForecastPublic | null,
  batch: ForecastPublic | null,
  latest: ForecastPublic | null,
): ForecastPublic | null {
  return requested ?? batch ?? latest;
}

export function BatchForecastNote({ forecast }: { forecast: ForecastPublic }) {
  const cutoff = forecast.data_cutoff ? formatDateTime(forecast.data_cutoff) : "not recorded";
  return (
    <p className="meta" data-testid="batch-forecast-meta">
      Batch forecast #{forecast.id}: {forecast.horizon} steps by {forecast.model_name} version{" "}
      {forecast.model_version}, made {formatDateTime(forecast.created_at)} from data up to {cutoff}.
    </p>
  );
}
