// Enter the API key (kept for this browser session) and see its name and what it may do.
import { type FormEvent, useEffect, useState } from "react";
import { describeFailure } from "../api/errors";
import { forgetApiKey, readApiKey, saveApiKey } from "../api/keyStore";
import type { KeyScopes } from "../lib/scopes";

type Status =
  | { kind: "none" }
  | { kind: "checking" }
  | { kind: "checked"; result: KeyScopes }
  | { kind: "failed"; error: unknown };

export function ApiKeyForm({ lookUp }: { lookUp: () => Promise<KeyScopes> }) {
  const [key, setKey] = useState(readApiKey() ?? "");
  const [status, setStatus] = useState<Status>({ kind: "none" });

  async function check() {
    setStatus({ kind: "checking" });
    try {
      setStatus({ kind: "checked", result: await lookUp() });
    } catch (error) {
      setStatus({ kind: "failed", error });
    }
  }

  useEffect(() => {
    if (readApiKey()) void check();
    // Once, on opening the page, for a key stored earlier in this session.
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!key.trim()) {
      setStatus({ kind: "failed", error: new Error("Paste an API key first.") });
      return;
    }
    saveApiKey(key);
    void check();
  }

  function forget() {
    forgetApiKey();
    setKey("");
    setStatus({ kind: "none" });
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="API key settings">
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        value={key}
        onChange={(event) => setKey(event.target.value)}
      />
      <p className="hint">
        Kept in this browser tab's session only. Create one with{" "}
        <code>quantis apikey create --name NAME --scope read</code>.
      </p>
      <div className="actions">
        <button type="submit" className="primary">
          Save key
        </button>
        <button type="button" onClick={forget}>
          Forget key
        </button>
      </div>
      <KeyStatus status={status} />
    </form>
  );
}

function KeyStatus({ status }: { status: Status }) {
  if (status.kind === "checking") return <p role="status">Checking the key…</p>;
  if (status.kind === "failed") {
    return (
      <p className="state state-error" role="alert">
        {describeFailure(status.error)}
      </p>
    );
  }
  if (status.kind !== "checked") return null;
  if (!status.result.valid) {
    return (
      <p className="state state-error" role="alert">
        The API does not know this key (unknown or revoked). Check it, or ask an admin for a new
        one.
      </p>
    );
  }
  return (
    <p className="success" role="status" data-testid="key-scopes">
      Key {status.result.name ? `“${status.result.name}” ` : ""}accepted. Scopes:{" "}
      {status.result.scopes.join(", ") || "none"}.
    </p>
  );
}
