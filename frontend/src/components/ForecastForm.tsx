// Asks for a new forecast with a chosen horizon; checks the horizon before calling the API.
import { type FormEvent, useState } from "react";
import { describeFailure } from "../api/errors";
import { checkHorizon, MAX_HORIZON } from "../lib/horizon";

interface Props {
  defaultHorizon: number;
  onRequest: (horizon: number) => Promise<void>;
}

export function ForecastForm({ defaultHorizon, onRequest }: Props) {
  const [text, setText] = useState(String(defaultHorizon));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = checkHorizon(text);
    if (checked.error !== undefined) {
      setProblem(checked.error);
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      await onRequest(checked.horizon);
    } catch (error) {
      setProblem(describeFailure(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Request a forecast">
      <label htmlFor="horizon">Horizon (steps ahead)</label>
      <input
        id="horizon"
        name="horizon"
        inputMode="numeric"
        value={text}
        onChange={(event) => setText(event.target.value)}
        aria-invalid={problem !== null}
        aria-describedby={problem ? "horizon-problem" : undefined}
        size={5}
        max={MAX_HORIZON}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Forecasting…" : "Request forecast"}
      </button>
      {problem && (
        <p id="horizon-problem" className="field-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
