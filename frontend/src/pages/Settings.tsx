// Settings: the API key for this session and its scopes.
import { api } from "../api/client";
import { ApiKeyForm } from "../components/ApiKeyForm";
import { probeScopes } from "../lib/scopes";

export function Settings() {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ApiKeyForm probe={() => probeScopes(api)} />
    </section>
  );
}
