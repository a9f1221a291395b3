// Who the session's key is and what it may do, from the API's `GET /api/v1/keys/me`.
import type { ApiClient } from "../api/client";
import { toFailure } from "../api/errors";
import type { ApiKeyIdentity } from "../api/types";

export type Scope = "read" | "write" | "admin";

export interface KeyScopes {
  valid: boolean;
  /** What the key may do: its scopes and the ones they imply, in the order read, write, admin. */
  scopes: Scope[];
  /** The key's name, when the API knows the key. */
  name?: string;
}

const SCOPES: readonly Scope[] = ["read", "write", "admin"];

/** The scopes of `granted` the page knows, in the order read, write, admin. */
export function grantedScopes(identity: Pick<ApiKeyIdentity, "granted">): Scope[] {
  return SCOPES.filter((scope) => identity.granted.includes(scope));
}

/** The key's name and scopes; `valid: false` when the API does not know the key (401). */
export async function fetchKeyScopes(client: ApiClient): Promise<KeyScopes> {
  const me = await client.GET("/api/v1/keys/me");
  if (me.response.status === 401) return { valid: false, scopes: [] };
  if (!me.response.ok || me.data === undefined) throw toFailure(me.response.status, me.error);
  return { valid: true, name: me.data.name, scopes: grantedScopes(me.data) };
}
