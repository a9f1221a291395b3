// Overview of one dataset: serving status and served model, the dataset's champion, pipeline
// health (the dataset's runs and the platform's: backups, DR drills) and schedules.
import { api } from "../api/client";
import { describeFailure, unwrap } from "../api/errors";
import type {
  AssetHealthPublic,
  PipelineRun,
  PipelineSchedule,
  Readiness,
  RegistryView,
} from "../api/types";
import { PipelineSummary } from "../components/PipelineSummary";
import { ServingChecks } from "../components/ServingChecks";
import { ErrorMessage, Loading } from "../components/States";
import { formatDateTime, formatNumber } from "../lib/format";
import { dagsterUrl, mlflowUrl } from "../lib/links";
import { servingFigures } from "../lib/metrics";
import { backtestMase, naiveMase, promotedAt } from "../lib/models";
import { useAsync } from "../lib/useAsync";

async function loadServing() {
  const ready = await api.GET("/ready");
  // 503 still carries the readiness body, which says what is down.
  const readiness = (ready.data ?? ready.error) as Readiness | undefined;
  if (!readiness?.database) throw new Error(`/ready answered HTTP ${ready.response.status}`);
  const metrics = await api.GET("/metrics", { parseAs: "text" });
  const text = typeof metrics.data === "string" ? metrics.data : "";
  return { readiness, figures: servingFigures(text) };
}

async function loadPipeline(dataset: string): Promise<{
  runs: PipelineRun[];
  assets: AssetHealthPublic[];
  schedules: PipelineSchedule[];
}> {
  const runs = unwrap(
    await api.GET("/api/v1/pipeline/runs", { params: { query: { limit: 50, dataset } } }),
  );
  const assets = unwrap(await api.GET("/api/v1/pipeline/assets"));
  const schedules = unwrap(await api.GET("/api/v1/pipeline/schedules"));
  return { runs, assets, schedules };
}

export function Overview({ dataset }: { dataset: string }) {
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <p className="meta">
        Dataset <strong data-testid="overview-dataset">{dataset}</strong>
      </p>
      <p className="links">
        <a href={dagsterUrl()} target="_blank" rel="noreferrer">
          Open the Dagster UI
        </a>{" "}
        ·{" "}
        <a href={mlflowUrl()} target="_blank" rel="noreferrer">
          Open the MLflow UI
        </a>
      </p>
      <div className="cards">
        <ServingCard />
        <ChampionCard dataset={dataset} />
      </div>
      <PipelineSection dataset={dataset} />
    </section>
  );
}

function ServingCard() {
  const { data, error, loading, reload } = useAsync(loadServing, []);
  return (
    <article className="card" aria-labelledby="serving-title">
      <h2 id="serving-title">Serving</h2>
      {loading && <Loading what="serving status" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && (
        <>
          <ServingChecks readiness={data.readiness} />
          <dl className="figures">
            <dt>API requests</dt>
            <dd>{formatNumber(data.figures.requests, 0)}</dd>
            <dt>Client errors (4xx)</dt>
            <dd>{formatNumber(data.figures.clientErrors, 0)}</dd>
            <dt>Server errors (5xx)</dt>
            <dd>{formatNumber(data.figures.serverErrors, 0)}</dd>
            <dt>Model server calls</dt>
            <dd>
              {Object.entries(data.figures.modelServerCalls)
                .map(([outcome, count]) => `${outcome} ${formatNumber(count, 0)}`)
                .join(", ") || "none yet"}
            </dd>
          </dl>
        </>
      )}
    </article>
  );
}

async function loadRegistry(dataset: string): Promise<RegistryView> {
  return unwrap(await api.GET("/api/v1/models", { params: { query: { dataset } } }));
}

function ChampionCard({ dataset }: { dataset: string }) {
  const { data, error, loading, reload } = useAsync(() => loadRegistry(dataset), [dataset]);
  const champion = data?.versions.find((v) => v.version === data.champion);
  return (
    <article className="card" aria-labelledby="champion-title">
      <h2 id="champion-title">Champion model</h2>
      {loading && <Loading what="the registry" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && !champion && (
        <p className="state state-empty">
          No version of {data.name} holds the champion alias yet. Run the pipeline in Dagster, or
          promote a version on the Models page.
        </p>
      )}
      {data && champion && (
        <dl className="figures">
          <dt>Model</dt>
          <dd>
            {champion.name} version {champion.version}
          </dd>
          <dt>Backtest MASE</dt>
          <dd>{formatNumber(backtestMase(champion))}</dd>
          <dt>Seasonal naive MASE</dt>
          <dd>{formatNumber(naiveMase(champion))}</dd>
          <dt>Promoted</dt>
          <dd>{formatDateTime(promotedAt(champion))}</dd>
        </dl>
      )}
    </article>
  );
}

function PipelineSection({ dataset }: { dataset: string }) {
  const { data, error, loading, reload } = useAsync(() => loadPipeline(dataset), [dataset]);
  return (
    <section className="card wide" aria-labelledby="pipeline-title">
      <h2 id="pipeline-title">Pipeline health</h2>
      {loading && <Loading what="pipeline runs from Dagster" />}
      {error !== undefined && (
        <div className="state state-error" role="alert">
          <p>{describeFailure(error)}</p>
          <p>
            Pipeline health comes from the Dagster webserver; start it with <code>quantis up</code>{" "}
            or check <a href={dagsterUrl()}>the Dagster UI</a>.
          </p>
          <button type="button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      {data && <PipelineSummary runs={data.runs} assets={data.assets} schedules={data.schedules} />}
    </section>
  );
}
