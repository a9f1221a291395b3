// Shapes a forecast's explanation and a model's feature importance into bars, one per
// feature group (`history`, `calendar`, each covariate).
import type { ModelVersionPublic, SeriesExplanation } from "../api/types";

export interface Bar {
  group: string;
  label: string;
  value: number;
}

const GROUP_LABELS: Record<string, string> = {
  history: "History (lags, rolling means)",
  calendar: "Calendar",
};

/** A person's name for a feature group; a covariate keeps its own name. */
export function groupLabel(group: string): string {
  return GROUP_LABELS[group] ?? group;
}

/** Each group's contribution summed over every step of the explanation, groups in the order
 * the API gives them (a group missing from a step counts nothing there). */
export function contributionTotals(explanation: SeriesExplanation): Bar[] {
  const totals = new Map<string, number>();
  for (const point of explanation.points) {
    for (const [group, value] of Object.entries(point.contributions)) {
      totals.set(group, (totals.get(group) ?? 0) + value);
    }
  }
  return [...totals].map(([group, value]) => ({ group, label: groupLabel(group), value }));
}

/** The version's share of split gain per group, in percent, largest first; none when the
 * version has no LightGBM member (or was trained before importance was logged). */
export function importanceBars(version: ModelVersionPublic): Bar[] {
  return Object.entries(version.feature_importance ?? {})
    .map(([group, share]) => ({ group, label: groupLabel(group), value: share * 100 }))
    .sort((a, b) => b.value - a.value);
}
