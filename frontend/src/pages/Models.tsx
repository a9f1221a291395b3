// Models of the dataset shown: its registered model's versions with metrics, aliases and
// decisions; promote and roll back its champion.
import { useState } from "react";
import { api } from "../api/client";
import { describeFailure, unwrap } from "../api/errors";
import type { ModelVersionPublic } from "../api/types";
import { ChampionAccuracy } from "../components/ChampionAccuracy";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Empty, ErrorMessage, Loading } from "../components/States";
import { formatDateTime, formatNumber } from "../lib/format";
import { backtestMase, decisionSummary, naiveMase, promotedAt } from "../lib/models";
import { useAsync } from "../lib/useAsync";

type Pending = { kind: "promote"; version: string } | { kind: "rollback" };
type Notice = { tone: "success" | "error"; text: string };

export function Models({ dataset }: { dataset: string }) {
  const query = { dataset };
  const { data, error, loading, reload } = useAsync(
    async () => unwrap(await api.GET("/api/v1/models", { params: { query } })),
    [dataset],
  );
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);

  async function confirm(action: Pending) {
    setPending(null);
    setNotice(null); // a notice always belongs to the latest action
    try {
      const changed =
        action.kind === "promote"
          ? unwrap(
              await api.POST("/api/v1/models/{version}/promote", {
                params: { path: { version: action.version }, query },
              }),
            )
          : unwrap(await api.POST("/api/v1/models/rollback", { params: { query } }));
      setNotice({ tone: "success", text: `Version ${changed.version} is now the champion.` });
      reload();
    } catch (failure) {
      setNotice({ tone: "error", text: describeFailure(failure) });
    }
  }

  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <p className="meta">
        Dataset <strong data-testid="models-dataset">{dataset}</strong>
      </p>
      {notice && (
        <p className={notice.tone === "success" ? "success" : "state state-error"} role="alert">
          {notice.text}
        </p>
      )}
      {loading && !data && <Loading what="the model registry" />}
      {error !== undefined && <ErrorMessage error={error} onRetry={reload} />}
      {data && data.versions.length === 0 && (
        <Empty>
          No version of {data.name} is registered yet. Run the training pipeline in Dagster to
          register one.
        </Empty>
      )}
      {data && data.versions.length > 0 && (
        <>
          <p>
            Registered model <strong>{data.name}</strong>: champion{" "}
            {data.champion ? `version ${data.champion}` : "none"}, challenger{" "}
            {data.challenger ? `version ${data.challenger}` : "none"}.{" "}
            <button type="button" onClick={() => setPending({ kind: "rollback" })}>
              Roll back champion
            </button>
          </p>
          {data.champion && <ChampionAccuracy dataset={dataset} version={data.champion} />}
          <VersionsTable
            versions={data.versions}
            onPromote={(version) => setPending({ kind: "promote", version })}
          />
          <p className="hint">Promote and roll back need an API key with the admin scope.</p>
        </>
      )}
      {pending && (
        <ConfirmDialog
          title={pending.kind === "promote" ? `Promote version ${pending.version}?` : "Roll back?"}
          message={
            pending.kind === "promote"
              ? `Version ${pending.version} will take the champion alias; the pipeline's next roll-out serves it.`
              : "The champion alias goes back to the version the current champion replaced."
          }
          confirmLabel={pending.kind === "promote" ? "Promote" : "Roll back"}
          onConfirm={() => confirm(pending)}
          onCancel={() => setPending(null)}
        />
      )}
    </section>
  );
}

function VersionsTable({
  versions,
  onPromote,
}: {
  versions: ModelVersionPublic[];
  onPromote: (version: string) => void;
}) {
  return (
    <div className="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Aliases</th>
            <th scope="col">Backtest MASE</th>
            <th scope="col">Naive MASE</th>
            <th scope="col">Decision</th>
            <th scope="col">Created</th>
            <th scope="col">Promoted</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr key={version.version}>
              <td>{version.version}</td>
              <td>
                {version.aliases.map((alias) => (
                  <span key={alias} className={`badge ${alias === "champion" ? "good" : "busy"}`}>
                    {alias}
                  </span>
                ))}
              </td>
              <td>{formatNumber(backtestMase(version))}</td>
              <td>{formatNumber(naiveMase(version))}</td>
              <td>{decisionSummary(version)}</td>
              <td>{formatDateTime(version.created_at)}</td>
              <td>{formatDateTime(promotedAt(version))}</td>
              <td>
                {!version.aliases.includes("champion") && (
                  <button type="button" onClick={() => onPromote(version.version)}>
                    Promote version {version.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
