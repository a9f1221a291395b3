// Which scopes the session's key holds. The API has no "who am I" route yet, so each scope is
// probed with a request that changes nothing: an authorized caller gets past the scope check
// and is stopped by validation (422) or a missing record (404); an unauthorized one gets 403.
import type { ApiClient } from "../api/client";
import { toFailure } from "../api/errors";

export type Scope = "read" | "write" | "admin";

export interface KeyScopes {
  valid: boolean;
  scopes: Scope[];
}

// Id 0 never names a series: the database counts ids from 1.
const NO_SERIES = 0;

export async function probeScopes(client: ApiClient): Promise<KeyScopes> {
  const read = await client.GET("/api/v1/series", { params: { query: { limit: 1 } } });
  if (read.response.status === 401) return { valid: false, scopes: [] };
  if (!read.response.ok && read.response.status !== 403) {
    throw toFailure(read.response.status, read.error);
  }
  const write = await client.POST("/api/v1/forecasts", {
    body: { series_ids: [] }, // empty: refused by validation, so nothing is forecast
  });
  const admin = await client.DELETE("/api/v1/series/{series_id}", {
    params: { path: { series_id: NO_SERIES } },
  });
  const scopes: Scope[] = [];
  if (read.response.ok) scopes.push("read");
  if (write.response.status === 422) scopes.push("write");
  if (admin.response.status === 404) scopes.push("admin");
  return { valid: true, scopes };
}
