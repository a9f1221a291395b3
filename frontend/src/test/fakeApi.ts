// A stand-in for `api/client`'s `api` in component tests: answers by method and path, and
// keeps every call so a test can read the parameters a view sent.
//   vi.mock("../api/client", () => import("../test/fakeApi"));
import { vi } from "vitest";

type Answer = { status?: number; body: unknown };
type Call = { method: string; path: string; init: { params?: { query?: object } } };

const answers = new Map<string, Answer>();
export const calls: Call[] = [];

function respond(method: string) {
  return async (path: string, init: Call["init"] = {}) => {
    calls.push({ method, path, init });
    const answer = answers.get(`${method} ${path}`);
    if (!answer) throw new Error(`the fake API has no answer for ${method} ${path}`);
    const status = answer.status ?? 200;
    const ok = status < 400;
    return {
      data: ok ? answer.body : undefined,
      error: ok ? undefined : answer.body,
      response: new Response(null, { status }),
    };
  };
}

export const api = { GET: vi.fn(respond("GET")), POST: vi.fn(respond("POST")) };

/** Answer `method path` with `body` (HTTP `status`, 200 unless given). */
export function answer(method: string, path: string, body: unknown, status = 200): void {
  answers.set(`${method} ${path}`, { status, body });
}

/** The query parameters of every call to `method path`, in order. */
export function queriesOf(method: string, path: string): object[] {
  return calls
    .filter((call) => call.method === method && call.path === path)
    .map((call) => call.init.params?.query ?? {});
}

export function resetFakeApi(): void {
  answers.clear();
  calls.length = 0;
}

/** A dataset as `GET /api/v1/datasets` lists it. */
export function datasetFixture(
  name: string,
  frequency: string | null,
  horizon: number,
  series: number,
) {
  return {
    name,
    frequency,
    season_length: null,
    horizon: null,
    effective_season_length: null,
    effective_horizon: horizon,
    levels: [80, 95],
    max_bad_row_share: 0.05,
    min_history: 0,
    value_min: null,
    value_max: null,
    retrain_new_data_share: 0.1,
    model_overrides: {},
    batch_forecasts_after_rollout: true,
    covariates: [],
    series,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}
