// One series (of its own dataset, whatever the switcher shows): history and latest forecast on
// a chart, what drives the forecast (on request), a what-if of its covariates, a new forecast
// (default horizon: the dataset's), a CSV upload into its dataset.
import { useMemo, useState } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/errors";
import type { ForecastPublic, ObservationPublic } from "../api/types";
import { BatchForecastNote, loadLatestBatch, shownForecast } from "../components/BatchForecast";
import { CsvUpload } from "../components/CsvUpload";
import { ForecastChart } from "../components/ForecastChart";
import { ForecastExplanation } from "../components/ForecastExplanation";
import { ForecastForm } from "../components/ForecastForm";
import { SeriesAccuracy } from "../components/SeriesAccuracy";
import { Empty, ErrorMessage, Loading } from "../components/States";
import { WhatIf } from "../components/WhatIf";
import { shapeChartColumns } from "../lib/chartData";
import { withDataset } from "../lib/dataset";
import { formatDateTime } from "../lib/format";
import { defaultHorizon } from "../lib/horizon";
import { useAsync } from "../lib/useAsync";

// The API's largest page of observations; older history is left off the chart.
const MAX_POINTS = 10_000;

async function loadHistory(seriesId: number): Promise<ObservationPublic[]> {
  const path = { series_id: seriesId };
  const first = unwrap(
    await api.GET("/api/v1/series/{series_id}/observations", {
      params: { path, query: { limit: MAX_POINTS } },
    }),
  );
  if (first.total <= first.items.length) return first.items;
  const newest = unwrap(
    await api.GET("/api/v1/series/{series_id}/observations", {
      params: { path, query: { limit: MAX_POINTS, offset: first.total - MAX_POINTS } },
    }),
  );
  return newest.items;
}

async function loadSeries(seriesId: number) {
  const path = { series_id: seriesId };
  const series = unwrap(await api.GET("/api/v1/series/{series_id}", { params: { path } }));
  const dataset = unwrap(
    await api.GET("/api/v1/datasets/{name}", { params: { path: { name: series.dataset } } }),
  );
  const forecasts = unwrap(
    await api.GET("/api/v1/series/{series_id}/forecasts", {
      params: { path, query: { limit: 1 } },
    }),
  );
  return {
    series,
    dataset,
    history: await loadHistory(seriesId),
    latest: forecasts.items[0] ?? null,
    batch: await loadLatestBatch(seriesId),
  };
}

export function SeriesDetail({ seriesId }: { seriesId: number }) {
  const { data, error, loading, reload } = useAsync(() => loadSeries(seriesId), [seriesId]);
  const [requested, setRequested] = useState<ForecastPublic | null>(null);
  const forecast = shownForecast(requested, data?.batch ?? null, data?.latest ?? null);
  const columns = useMemo(
    () => (data ? shapeChartColumns(data.history, forecast) : null),
    [data, forecast],
  );

  async function requestForecast(horizon: number) {
    const batch = unwrap(
      await api.POST("/api/v1/forecasts", { body: { series_ids: [seriesId], horizon } }),
    );
    setRequested(batch.forecasts[0] ?? null);
  }

  async function upload(file: File) {
    const summary = unwrap(
      await api.POST("/api/v1/observations/csv", {
        params: { query: { dataset: data?.series.dataset } },
        body: { file: file as unknown as string },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append("file", body.file as unknown as Blob);
          return form;
        },
      }),
    );
    reload();
    return summary;
  }

  if (loading && !data) return <Loading what="the series" />;
  if (error !== undefined) return <ErrorMessage error={error} onRetry={reload} />;
  if (!data || !columns) return null;
  return (
    <section aria-labelledby="series-name">
      <p>
        <a href={withDataset("#/series", data.series.dataset)}>
          ← All series of {data.series.dataset}
        </a>
      </p>
      <h1 id="series-name">{data.series.name}</h1>
      <p className="meta">
        Dataset {data.series.dataset} · Frequency {data.series.frequency ?? "not set"} ·{" "}
        {data.history.length} observations
      </p>
      {data.history.length === 0 && !forecast ? (
        <Empty>This series has no observations yet. Upload a CSV below to add some.</Empty>
      ) : (
        <ForecastChart columns={columns} title={`${data.series.name}: actuals and forecast`} />
      )}
      {forecast?.kind === "batch" ? (
        <BatchForecastNote forecast={forecast} />
      ) : forecast ? (
        <p className="meta" data-testid="forecast-meta">
          Forecast #{forecast.id}: {forecast.horizon} steps by {forecast.model_name} version{" "}
          {forecast.model_version}, made {formatDateTime(forecast.created_at)}.
        </p>
      ) : (
        <p className="meta">No forecast yet: request one below.</p>
      )}
      <ForecastExplanation
        key={`${seriesId}-${forecast?.horizon}`}
        seriesId={seriesId}
        horizon={forecast?.horizon}
      />
      <WhatIf
        seriesId={seriesId}
        seriesName={data.series.name}
        dataset={data.dataset}
        history={data.history}
      />
      <SeriesAccuracy seriesId={seriesId} />
      <h2>New forecast</h2>
      <ForecastForm
        defaultHorizon={defaultHorizon(data.dataset.effective_horizon)}
        onRequest={requestForecast}
      />
      <h2>Upload observations</h2>
      <CsvUpload onUpload={upload} />
    </section>
  );
}
