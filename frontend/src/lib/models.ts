// Reads the figures the pages show from a registry version's metrics, tags and decision.
import type { ModelVersionPublic } from "../api/types";

export const PROMOTED_AT_TAG = "quantis.promoted_at";

function numberIn(record: Record<string, unknown> | null | undefined, key: string) {
  const value = record?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Backtest MASE of the version: its run's metric, else the figure in its decision. */
export function backtestMase(version: ModelVersionPublic): number | null {
  return (
    numberIn(version.metrics, "backtest_mase") ?? numberIn(version.decision, "challenger_mase")
  );
}

/** Seasonal-naive MASE on the same backtest windows. */
export function naiveMase(version: ModelVersionPublic): number | null {
  return (
    numberIn(version.metrics, "backtest_seasonal_naive_mase") ??
    numberIn(version.decision, "naive_mase") ??
    numberIn(version.decision, "seasonal_naive_mase")
  );
}

export function promotedAt(version: ModelVersionPublic): string | null {
  return version.tags[PROMOTED_AT_TAG] ?? null;
}

/** A sentence for the promotion decision recorded with the version, if any. */
export function decisionSummary(version: ModelVersionPublic): string {
  const decision = version.decision;
  if (!decision) return "No decision recorded";
  const verdict = decision.promote === true ? "Promoted" : decision.promote === false ? "Kept" : "";
  const reason = typeof decision.reason === "string" ? decision.reason : "";
  return [verdict, reason].filter(Boolean).join(": ") || JSON.stringify(decision);
}
