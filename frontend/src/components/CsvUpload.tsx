// Uploads a CSV of observations; shows what was written, or every rejected row and why.
import { type FormEvent, useRef, useState } from "react";
import { ApiFailure, describeFailure, describeLocation } from "../api/errors";
import type { UpsertSummary } from "../api/types";

interface Props {
  onUpload: (file: File) => Promise<UpsertSummary>;
}

type Outcome =
  { kind: "done"; summary: UpsertSummary } | { kind: "failed"; error: unknown } | { kind: "none" };

export function CsvUpload({ onUpload }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [outcome, setOutcome] = useState<Outcome>({ kind: "none" });
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) {
      setOutcome({ kind: "failed", error: new Error("Choose a CSV file to upload first.") });
      return;
    }
    setBusy(true);
    try {
      setOutcome({ kind: "done", summary: await onUpload(file) });
    } catch (error) {
      setOutcome({ kind: "failed", error });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="upload" onSubmit={submit} aria-label="Upload observations">
      <p className="hint">
        Columns <code>series,ts,value</code> (or <code>unique_id,ds,y</code>); rows are written all
        or none, and re-sent timestamps update their value.
      </p>
      <label htmlFor="csv-file">CSV file</label>
      <input id="csv-file" ref={input} type="file" accept=".csv,text/csv" />
      <button type="submit" disabled={busy}>
        {busy ? "Uploading…" : "Upload"}
      </button>
      {outcome.kind === "done" && (
        <p className="success" role="status">
          {outcome.summary.rows} rows received: {outcome.summary.inserted} new,{" "}
          {outcome.summary.updated} updated.
        </p>
      )}
      {outcome.kind === "failed" && <UploadErrors error={outcome.error} />}
    </form>
  );
}

function UploadErrors({ error }: { error: unknown }) {
  const rows = error instanceof ApiFailure ? error.rows : [];
  return (
    <div className="state state-error" role="alert">
      <p>{describeFailure(error)}</p>
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="row-errors">
            <caption>Rows to fix, then upload the file again</caption>
            <thead>
              <tr>
                <th scope="col">Where</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={index}>
                  <td>{describeLocation(row.loc)}</td>
                  <td>{row.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
