import { describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../api/client";
import { ApiFailure } from "../api/errors";
import { fetchKeyScopes, grantedScopes } from "./scopes";

function clientAnswering(status: number, body: unknown) {
  const GET = vi.fn().mockResolvedValue({
    response: new Response(null, { status }),
    ...(status === 200 ? { data: body } : { error: body }),
  });
  return { client: { GET } as unknown as ApiClient, GET };
}

const identity = {
  id: 3,
  name: "analyst",
  prefix: "qk_0123abcd",
  scopes: ["admin"],
  granted: ["read", "write", "admin"],
  created_at: "2026-01-01T00:00:00Z",
  last_used_at: null,
};

describe("key scopes", () => {
  it("asks /api/v1/keys/me once and keeps what the key may do", async () => {
    const { client, GET } = clientAnswering(200, identity);
    expect(await fetchKeyScopes(client)).toEqual({
      valid: true,
      name: "analyst",
      scopes: ["read", "write", "admin"],
    });
    expect(GET).toHaveBeenCalledTimes(1);
    expect(GET).toHaveBeenCalledWith("/api/v1/keys/me");
  });

  it("says a key the API does not know is not valid", async () => {
    const unknown = { error: { code: "unauthorized", message: "unknown", details: null } };
    const { client } = clientAnswering(401, unknown);
    expect(await fetchKeyScopes(client)).toEqual({ valid: false, scopes: [] });
  });

  it("throws the API's failure for other errors", async () => {
    const limited = { error: { code: "rate_limited", message: "slow down", details: null } };
    const { client } = clientAnswering(429, limited);
    await expect(fetchKeyScopes(client)).rejects.toBeInstanceOf(ApiFailure);
  });

  it("keeps known scopes in order and drops others", () => {
    expect(grantedScopes({ granted: ["admin", "metrics", "read"] })).toEqual(["read", "admin"]);
  });
});
