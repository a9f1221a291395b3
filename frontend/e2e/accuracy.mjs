// Browser test of the accuracy views (started and seeded by tests/frontend/test_accuracy_e2e.py):
// the models page shows the champion's live accuracy next to its backtest, the series page
// each forecast against what happened.
//
// Environment: QUANTIS_E2E_BASE_URL, QUANTIS_E2E_READ_KEY, QUANTIS_E2E_SERIES (the series to
// open), QUANTIS_E2E_LIVE_MASE and QUANTIS_E2E_BACKTEST_MASE (what the page must show),
// QUANTIS_E2E_POINTS (points scored), QUANTIS_E2E_SCREENSHOTS (folder for the screenshots).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser } from "./browser.mjs";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see the header of e2e/accuracy.mjs)`);
  return value;
}

const baseUrl = required("QUANTIS_E2E_BASE_URL").replace(/\/$/, "");
const readKey = required("QUANTIS_E2E_READ_KEY");
const seriesName = required("QUANTIS_E2E_SERIES");
const liveMase = Number(required("QUANTIS_E2E_LIVE_MASE"));
const backtestMase = Number(required("QUANTIS_E2E_BACKTEST_MASE"));
const points = required("QUANTIS_E2E_POINTS");
const shots = process.env.QUANTIS_E2E_SCREENSHOTS || "test-artifacts/screenshots";
mkdirSync(shots, { recursive: true });

const browser = await launchBrowser();
const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error)));
page.setDefaultTimeout(20_000);
const results = [];

async function step(name, body) {
  try {
    await body();
    results.push(true);
    console.log(`PASS ${name}`);
  } catch (error) {
    results.push(false);
    console.log(`FAIL ${name}\n${error.stack ?? error}`);
    await page.screenshot({ path: join(shots, "FAILED-accuracy.png"), fullPage: true });
    throw error;
  }
}

const figure = async (label) => {
  const pair = page.getByTestId("champion-accuracy").locator("div").filter({ hasText: label });
  return (await pair.locator("dd").first().innerText()).trim();
};

try {
  await step("a read key is enough", async () => {
    await page.goto(`${baseUrl}/#/settings`);
    await page.getByLabel("API key", { exact: true }).fill(readKey);
    await page.getByRole("button", { name: "Save key" }).click();
    await page.getByTestId("key-scopes").getByText("Scopes: read.").waitFor();
  });

  await step(
    "the models view shows the champion's live accuracy against its backtest",
    async () => {
      await page.goto(`${baseUrl}/#/models`);
      const region = page.getByRole("region", { name: /Champion live accuracy \(version \S+\)/ });
      await region.getByTestId("champion-accuracy").waitFor();
      assert.ok(Math.abs(Number(await figure("Live MASE")) - liveMase) < 0.0015);
      assert.equal(Number(await figure("Backtest MASE")), backtestMase);
      const ratio = await figure("Live / backtest");
      assert.match(ratio, /within 1\.5×|degraded \(above 1\.5×\)/);
      assert.match(await figure("80% interval coverage"), /^\d+\.\d% \(nominal 80\.0%\)$/);
      assert.match(
        await region.innerText(),
        new RegExp(`${points} forecast points of \\d+ series`),
      );
      const days = region.getByRole("table", { name: "Live accuracy by day" }).locator("tbody tr");
      assert.equal(await days.count(), 7);
      await page.screenshot({ path: join(shots, "accuracy-models-champion.png"), fullPage: true });
    },
  );

  await step("the series page shows each forecast against what happened", async () => {
    await page.goto(`${baseUrl}/#/series?q=${encodeURIComponent(seriesName)}`);
    await page.getByRole("link", { name: seriesName, exact: true }).click();
    const region = page.getByRole("region", { name: "Forecasts against what happened" });
    const rows = region.getByRole("table", { name: "Forecast errors" }).locator("tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 7);
    const cells = await rows.first().locator("td").allInnerTexts();
    const [forecast, actual, error] = cells.slice(2, 5).map((v) => Number(v.replace(/,/g, "")));
    assert.ok(Math.abs(forecast - actual - error) < 0.01, `error = forecast - actual: ${cells}`);
    assert.match(cells[5], /^(inside|outside) 95%$/);
    assert.match(await region.getByTestId("series-accuracy-versions").innerText(), /live MASE/);
    await region.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "accuracy-series-outcomes.png"), fullPage: true });
  });

  await step("no script errors", async () => assert.deepEqual(pageErrors, []));
} catch {
  // reported by the step
} finally {
  await browser.close();
}
const failed = results.filter((ok) => !ok).length;
console.log(`e2e accuracy: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
