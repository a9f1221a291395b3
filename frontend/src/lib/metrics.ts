// Reads the API's Prometheus text into the few serving figures the Overview shows.

export interface ServingFigures {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  modelServerCalls: Record<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of (text ?? "").matchAll(LABEL)) {
    labels[match[1]] = match[2];
  }
  return labels;
}

/** Totals of `quantis_api_requests_total` by status class and model-server calls by outcome. */
export function servingFigures(prometheusText: string): ServingFigures {
  const figures: ServingFigures = {
    requests: 0,
    clientErrors: 0,
    serverErrors: 0,
    modelServerCalls: {},
  };
  for (const line of prometheusText.split("\n")) {
    const match = SAMPLE.exec(line.trim());
    if (!match || line.startsWith("#")) continue;
    const [, name, , labelText, valueText] = match;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    const labels = labelsOf(labelText);
    if (name === "quantis_api_requests_total") {
      figures.requests += value;
      const status = Number(labels.status);
      if (status >= 500) figures.serverErrors += value;
      else if (status >= 400) figures.clientErrors += value;
    } else if (name === "quantis_api_model_server_calls_total") {
      const outcome = labels.outcome ?? "unknown";
      figures.modelServerCalls[outcome] = (figures.modelServerCalls[outcome] ?? 0) + value;
    }
  }
  return figures;
}
