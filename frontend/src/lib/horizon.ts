// Validation of the forecast horizon a person types, before the API is asked.

export const MAX_HORIZON = 366;

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
