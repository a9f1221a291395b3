// Validation of the forecast horizon a person types, before the API is asked.

export const MAX_HORIZON = 366;
// The form's default when the series' dataset says nothing.
export const FALLBACK_HORIZON = 28;

export type HorizonCheck = { horizon: number; error?: undefined } | { error: string };

export function checkHorizon(text: string, max: number = MAX_HORIZON): HorizonCheck {
  const trimmed = text.trim();
  if (trimmed === "") return { error: "Enter a horizon: how many steps ahead to forecast." };
  if (!/^\d+$/.test(trimmed)) return { error: `Horizon must be a whole number, not "${trimmed}".` };
  const horizon = Number(trimmed);
  if (horizon < 1 || horizon > max) {
    return { error: `Horizon must be between 1 and ${max} steps.` };
  }
  return { horizon };
}

/** The forecast form's default: the dataset's horizon (the one its models are trained for),
 * within what the form accepts. */
export function defaultHorizon(datasetHorizon: number | null | undefined): number {
  if (datasetHorizon == null || datasetHorizon < 1) return FALLBACK_HORIZON;
  return Math.min(datasetHorizon, MAX_HORIZON);
}
