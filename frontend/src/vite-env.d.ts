/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_DAGSTER_URL?: string;
  readonly VITE_MLFLOW_URL?: string;
}
