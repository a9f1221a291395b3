// Which dataset the page shows: the one the URL names (`#/series?dataset=monthly`), else the
// one chosen last in this browser, else `default`, else the first the key may see.
import type { DatasetPublic } from "../api/types";

export const DEFAULT_DATASET = "default";
const STORAGE_KEY = "quantis.dataset";
const PARAM = "dataset";

/** The dataset a hash names, or null. */
export function datasetInHash(hash: string): string | null {
  const search = hash.replace(/^#/, "").split("?")[1] ?? "";
  return new URLSearchParams(search).get(PARAM) || null;
}

/** The href with `dataset` set in its hash's query (kept with the other parameters). */
export function withDataset(href: string, dataset: string): string {
  const [path, search = ""] = href.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  params.set(PARAM, dataset);
  return `#${path || "/"}?${params.toString()}`;
}

/** The dataset to show: the wanted one if the key may see it, then the remembered one, then
 * `default`, then the first listed. Without a list (not loaded, or refused) the wanted or
 * remembered name stands, so the views' own answers say what is wrong. */
export function chooseDataset(
  wanted: string | null,
  remembered: string | null,
  available: DatasetPublic[] | undefined,
): string {
  if (!available) return wanted ?? remembered ?? DEFAULT_DATASET;
  const names = available.map((dataset) => dataset.name);
  const candidates = [wanted, remembered, DEFAULT_DATASET, names[0]];
  return (
    candidates.find((name) => name != null && names.includes(name)) ?? wanted ?? DEFAULT_DATASET
  );
}

/** "monthly (MS, horizon 18, 42 series)": what the switcher lists. */
export function describeDataset(dataset: DatasetPublic): string {
  const frequency = dataset.frequency ?? "frequency not fixed";
  return `${dataset.name} (${frequency}, horizon ${dataset.effective_horizon}, ${dataset.series} series)`;
}

export function rememberedDataset(): string | null {
  return window.localStorage.getItem(STORAGE_KEY);
}

export function rememberDataset(name: string): void {
  window.localStorage.setItem(STORAGE_KEY, name);
}
