// Where the Dagster and MLflow UIs are: build-time settings, else the local stack's ports on
// the host that served this page.
const env = import.meta.env;

function onThisHost(port: number): string {
  return `${window.location.protocol}//${window.location.hostname}:${port}`;
}

export function dagsterUrl(): string {
  return env.VITE_DAGSTER_URL || onThisHost(3000);
}

export function mlflowUrl(): string {
  return env.VITE_MLFLOW_URL || onThisHost(5000);
}
