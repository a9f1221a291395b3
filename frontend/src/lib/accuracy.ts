// Live accuracy for display: coverage against nominal, intervals around outcomes.
import type { ForecastOutcome } from "../api/types";

export type CoverageRow = { level: string; live: number | null; nominal: number };

/** Coverage per level ("80" -> 0.8 nominal), lowest level first. */
export function coverageRows(coverage: Record<string, number | null | undefined>): CoverageRow[] {
  return Object.entries(coverage)
    .map(([level, live]) => ({ level, live: live ?? null, nominal: Number(level) / 100 }))
    .sort((a, b) => a.nominal - b.nominal);
}

/** The widest interval level of an outcome, and whether the actual fell inside it. */
export function insideWidest(outcome: ForecastOutcome): { level: string; inside: boolean } | null {
  const levels = Object.keys(outcome.lo).sort((a, b) => Number(b) - Number(a));
  const level = levels[0];
  if (level === undefined || outcome.hi[level] === undefined) return null;
  const inside = outcome.actual >= outcome.lo[level] && outcome.actual <= outcome.hi[level];
  return { level, inside };
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(1)}%`;
}
