// What /ready says: model server and database readiness, and the model being served.
import type { Readiness } from "../api/types";

function Check({ ok, label, detail }: { ok: boolean; label: string; detail: string }) {
  return (
    <li>
      <span className={`badge ${ok ? "good" : "bad"}`}>{ok ? "ready" : "down"}</span> {label}:{" "}
      {detail}
    </li>
  );
}

export function ServingChecks({ readiness }: { readiness: Readiness }) {
  const { model } = readiness;
  return (
    <ul className="plain">
      <Check
        ok={readiness.model_server.ok}
        label="Model server"
        detail={readiness.model_server.detail}
      />
      <Check ok={readiness.database.ok} label="Database" detail={readiness.database.detail} />
      <li data-testid="served-model">
        <strong>Served model:</strong>{" "}
        {model ? `${model.name} version ${model.version}` : "unknown (the model server is down)"}
      </li>
    </ul>
  );
}
