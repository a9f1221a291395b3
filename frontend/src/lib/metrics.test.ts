import { describe, expect, it } from "vitest";
import { servingFigures } from "./metrics";

const TEXT = `# HELP quantis_api_requests_total HTTP requests answered.
# TYPE quantis_api_requests_total counter
quantis_api_requests_total{method="GET",route="/health",status="200"} 7.0
quantis_api_requests_total{method="POST",route="/api/v1/forecasts",status="422"} 2.0
quantis_api_requests_total{method="POST",route="/api/v1/forecasts",status="503"} 1.0
quantis_api_requests_created{method="GET",route="/health",status="200"} 1.7e9
quantis_api_model_server_calls_total{outcome="ok"} 4.0
quantis_api_model_server_calls_total{outcome="unavailable"} 1.0
`;

describe("servingFigures", () => {
  it("adds up requests by status class and model-server calls by outcome", () => {
    expect(servingFigures(TEXT)).toEqual({
      requests: 10,
      clientErrors: 2,
      serverErrors: 1,
      modelServerCalls: { ok: 4, unavailable: 1 },
    });
  });

  it("reads an empty document as no traffic", () => {
    expect(servingFigures("")).toEqual({
      requests: 0,
      clientErrors: 0,
      serverErrors: 0,
      modelServerCalls: {},
    });
  });
});
