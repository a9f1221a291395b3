// The page's CSV upload through the frontend's nginx at the request-body limit (tests/deploy/
// docker/test_nginx.py runs nginx and the API with a small limit): a file whose request body
// is exactly the limit is stored; one byte more is refused and the page shows the 413's
// message. The browser's multipart overhead is measured on a first, small upload, and every
// request's body length (its Content-Length as Chromium sent it) is recorded, so the sizes
// are the ones the test claims. Prints one
// JSON line.
//
// Environment: QUANTIS_NGINX_URL, QUANTIS_E2E_WRITE_KEY, QUANTIS_E2E_SERIES (a series name),
// QUANTIS_BODY_LIMIT (bytes).
import assert from "node:assert/strict";
import { launchBrowser } from "../../../frontend/e2e/browser.mjs";

const base = process.env.QUANTIS_NGINX_URL.replace(/\/$/, "");
const key = process.env.QUANTIS_E2E_WRITE_KEY;
const seriesName = process.env.QUANTIS_E2E_SERIES;
const limit = Number(process.env.QUANTIS_BODY_LIMIT);

const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
page.setDefaultTimeout(20_000);

// A CSV of two new observations of the series, `size` bytes long: the first value is padded
// with leading zeros (still the number 1).
function csvOf(size) {
  const head = "series,ts,value\n";
  const rows = (pad) =>
    `${seriesName},2031-01-01,${"0".repeat(pad)}1\n${seriesName},2031-01-02,2\n`;
  const pad = size - Buffer.byteLength(head + rows(0));
  assert.ok(pad >= 0, `a CSV of ${size} bytes is too small for two rows`);
  const text = head + rows(pad);
  assert.equal(Buffer.byteLength(text), size);
  return Buffer.from(text);
}

// Upload `buffer` from a freshly loaded series page (no earlier outcome on it): the request
// body's length, the answer's status and what the form then shows.
async function upload(buffer) {
  await page.goto(`${base}/#/series/1`);
  await page.reload();
  await page.getByLabel("CSV file").waitFor();
  await page
    .getByLabel("CSV file")
    .setInputFiles({ name: "obs.csv", mimeType: "text/csv", buffer });
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().includes("/api/v1/observations/csv")),
    page.getByRole("button", { name: "Upload", exact: true }).click(),
  ]);
  const response = await request.response();
  await response.finished();
  const headers = await request.allHeaders();
  const outcome = page.locator(
    "form.upload [role=status], form.upload [role=alert]",
  );
  await outcome.first().waitFor();
  return {
    bodyBytes: Number(headers["content-length"]),
    status: response.status(),
    shown: (await outcome.first().innerText()).trim(),
  };
}

try {
  await page.goto(`${base}/#/settings`);
  await page.getByLabel("API key", { exact: true }).fill(key);
  await page.getByRole("button", { name: "Save key" }).click();
  await page.getByTestId("key-scopes").waitFor();

  const probeFile = csvOf(100);
  const probe = await upload(probeFile);
  const overhead = probe.bodyBytes - probeFile.length;
  const under = await upload(csvOf(limit - overhead));
  const over = await upload(csvOf(limit + 1 - overhead));
  console.log(JSON.stringify({ probe, overhead, under, over, ok: true }));
} finally {
  await browser.close();
}
