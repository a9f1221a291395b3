// The web page in headless Chromium through the frontend's nginx (tests/deploy/docker/
// test_nginx.py starts nginx and the API): enter a key, list series that come through the
// /api proxy, open a hash deep link and a history-style path. Prints one JSON line.
//
// Environment: QUANTIS_NGINX_URL, QUANTIS_E2E_READ_KEY, QUANTIS_E2E_SERIES (a series name).
import assert from "node:assert/strict";
import { launchBrowser } from "../../../frontend/e2e/browser.mjs";

const base = process.env.QUANTIS_NGINX_URL.replace(/\/$/, "");
const key = process.env.QUANTIS_E2E_READ_KEY;
const seriesName = process.env.QUANTIS_E2E_SERIES;

const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
page.setDefaultTimeout(20_000);
const problems = [];
const apiAnswers = [];
// Requests the page has in flight. `waitForLoadState("networkidle")` cannot stand in: a
// hash navigation is no new load, so it answers at once from the first load's state.
const inFlight = new Set();
page.on("request", (request) => inFlight.add(request));
page.on("requestfinished", (request) => inFlight.delete(request));
page.on("requestfailed", (request) => inFlight.delete(request));

// Resolves once nothing has been in flight for `quietMs` (a request that leads to another,
// such as a list then its details, keeps it waiting).
async function settled(quietMs = 500, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let quietSince = inFlight.size === 0 ? Date.now() : null;
  while (quietSince === null || Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) {
      const urls = [...inFlight].map((request) => request.url());
      throw new Error(`requests still in flight after ${timeoutMs} ms: ${urls.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (inFlight.size > 0) quietSince = null;
    else if (quietSince === null) quietSince = Date.now();
  }
}
// The page, its assets and the proxy must never fail; the API's own answers are recorded
// (some are 503 by design here: no Dagster runs beside this API).
page.on("pageerror", (error) => problems.push(`page error: ${error}`));
page.on("requestfailed", (request) =>
  problems.push(`failed: ${request.url()} (${request.failure()?.errorText})`),
);
page.on("response", (response) => {
  const path = new URL(response.url()).pathname;
  if (path.includes("/api/")) apiAnswers.push([path, response.status()]);
  else if (response.status() >= 400) problems.push(`${response.status()} ${path}`);
});

try {
  await page.goto(`${base}/#/settings`);
  await page.getByLabel("API key", { exact: true }).fill(key);
  await page.getByRole("button", { name: "Save key" }).click();
  await page.getByTestId("key-scopes").getByText("Scopes: read.").waitFor();

  await page.goto(`${base}/#/series`);
  await page.getByRole("navigation", { name: "Pages of series" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("tbody tr").length > 0);
  const listed = await page.locator("tbody tr").count();

  // A hash deep link straight to one series.
  await page.goto(`${base}/#/series/1`);
  await page.locator("#series-name").waitFor();
  await page.getByRole("link", { name: "← All series" }).waitFor();
  const deepLinkTitle = await page.locator("#series-name").innerText();
  // Let the series page's own requests (accuracy, forecasts, ...) finish: leaving the page
  // while one is in flight aborts it (net::ERR_ABORTED), which is the test's doing, not the
  // proxy's.
  await settled();

  // A history-style path: nginx serves the page (and its assets under the nested path).
  const history = await page.goto(`${base}/series/1`);
  assert.equal(history.status(), 200);
  await page.getByRole("navigation", { name: "Main" }).waitFor();

  assert.deepEqual(problems, []);
  console.log(JSON.stringify({ listed, deepLinkTitle, apiAnswers, seriesName, ok: true }));
} finally {
  await browser.close();
}
