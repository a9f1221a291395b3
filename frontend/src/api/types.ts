// Named shapes of the generated OpenAPI schema, so pages import readable names.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type SeriesPublic = Schemas["SeriesPublic"];
export type SeriesPage = Schemas["Page_SeriesPublic_"];
export type ObservationPublic = Schemas["ObservationPublic"];
export type ForecastPublic = Schemas["ForecastPublic"];
export type ForecastPointPublic = Schemas["ForecastPointPublic"];
export type ForecastBatch = Schemas["ForecastBatch"];
export type ModelVersionPublic = Schemas["ModelVersionPublic"];
export type RegistryView = Schemas["RegistryView"];
export type PipelineRun = Schemas["PipelineRun"];
export type AssetHealthPublic = Schemas["AssetHealthPublic"];
export type PipelineSchedule = Schemas["PipelineSchedule"];
export type Readiness = Schemas["Readiness"];
export type ServedModel = Schemas["ServedModel"];
export type ApiKeyIdentity = Schemas["ApiKeyIdentity"];
export type UpsertSummary = Schemas["UpsertSummary"];
export type ErrorBody = Schemas["ErrorBody"];
export type ModelAccuracy = Schemas["ModelAccuracy"];
export type SeriesAccuracy = Schemas["SeriesAccuracy"];
export type ForecastOutcome = Schemas["ForecastOutcome"];
export type DatasetPublic = Schemas["DatasetPublic"];
export type SeriesExplanation = Schemas["SeriesExplanationPublic"];
export type CovariatePublic = Schemas["CovariatePublic"];
export type ScenarioCreate = Schemas["ScenarioCreate"];
export type ScenarioChange = Schemas["ScenarioChange"];
export type ScenarioPublic = Schemas["ScenarioPublic"];
export type ScenarioRun = Schemas["ScenarioRunPublic"];
export type ScenarioSeriesRun = Schemas["ScenarioSeriesRun"];
