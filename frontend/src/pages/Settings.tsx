// Settings: the API key for this session, its name and its scopes.
import { api } from "../api/client";
import { ApiKeyForm } from "../components/ApiKeyForm";
import { fetchKeyScopes } from "../lib/scopes";

export function Settings() {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ApiKeyForm lookUp={() => fetchKeyScopes(api)} />
    </section>
  );
}
