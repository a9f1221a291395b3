// The typed API client: openapi-fetch over the generated schema, with the session's key sent
// as `Authorization: Bearer` on every call.
import createClient, { type Middleware } from "openapi-fetch";
import { readApiKey } from "./keyStore";
import type { paths } from "./schema";

const sendApiKey: Middleware = {
  onRequest({ request }) {
    const key = readApiKey();
    if (key && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${key}`);
    }
    return request;
  },
};

export function makeClient(baseUrl: string = window.location.origin) {
  const client = createClient<paths>({ baseUrl });
  client.use(sendApiKey);
  return client;
}

export type ApiClient = ReturnType<typeof makeClient>;

export const api = makeClient();
