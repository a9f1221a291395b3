// A model version's global feature importance (share of the LightGBM member's split gain per
// feature group) as bars; nothing when the version has none.
import type { ModelVersionPublic } from "../api/types";
import { importanceBars } from "../lib/explanation";
import { formatNumber } from "../lib/format";
import { BarChart } from "./BarChart";

export function FeatureImportance({ version }: { version: ModelVersionPublic }) {
  const bars = importanceBars(version);
  if (bars.length === 0) return null;
  const title = `Feature importance of version ${version.version}: share of split gain`;
  return (
    <div role="region" aria-labelledby="importance-title" className="card wide importance-card">
      <h2 id="importance-title">What the champion relies on (version {version.version})</h2>
      <figure className="chart">
        <BarChart
          bars={bars}
          title={title}
          format={(v) => `${formatNumber(v, 1)}%`}
          testId="importance-bars"
        />
        <figcaption>
          Share of the LightGBM member&apos;s split gain per feature group, over all its trees.
        </figcaption>
      </figure>
    </div>
  );
}
