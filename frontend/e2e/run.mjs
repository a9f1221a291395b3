// End-to-end test of the web page in headless Chromium against a running API and model
// server (started and seeded by tests/frontend/test_e2e.py). Each step saves a screenshot.
//
// Environment: QUANTIS_E2E_BASE_URL, QUANTIS_E2E_ADMIN_KEY, QUANTIS_E2E_READ_KEY,
// QUANTIS_E2E_SERIES_COUNT (series seeded), QUANTIS_E2E_SERIES (the one to open),
// QUANTIS_E2E_NEXT_TS (the date after its last observation), QUANTIS_E2E_NEXT_VALUE (a
// plausible value there), QUANTIS_E2E_SCREENSHOTS (folder for the screenshots),
// QUANTIS_E2E_OTHER_DATASET (a second dataset), QUANTIS_E2E_OTHER_SERIES (its series'
// names, comma-separated), QUANTIS_E2E_WHAT_IF_DATASET and QUANTIS_E2E_WHAT_IF_SERIES_ID (a
// dataset with a `promo` covariate the served model uses, and one of its series), and
// QUANTIS_E2E_WHAT_IF_FROM / QUANTIS_E2E_WHAT_IF_TO (horizon dates to switch promo on).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser } from "./browser.mjs";
import { chartColourCounts, yAxisLabels } from "./chartPixels.mjs";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see the header of e2e/run.mjs)`);
  return value;
}

const baseUrl = required("QUANTIS_E2E_BASE_URL").replace(/\/$/, "");
const adminKey = required("QUANTIS_E2E_ADMIN_KEY");
const readKey = required("QUANTIS_E2E_READ_KEY");
const seriesName = required("QUANTIS_E2E_SERIES");
const nextTimestamp = required("QUANTIS_E2E_NEXT_TS");
const nextValue = required("QUANTIS_E2E_NEXT_VALUE");
const seriesCount = Number(required("QUANTIS_E2E_SERIES_COUNT"));
const otherDataset = required("QUANTIS_E2E_OTHER_DATASET");
const otherSeries = required("QUANTIS_E2E_OTHER_SERIES").split(",");
const whatIf = {
  dataset: required("QUANTIS_E2E_WHAT_IF_DATASET"),
  seriesId: Number(required("QUANTIS_E2E_WHAT_IF_SERIES_ID")),
  from: required("QUANTIS_E2E_WHAT_IF_FROM"),
  to: required("QUANTIS_E2E_WHAT_IF_TO"),
};
const shots = process.env.QUANTIS_E2E_SCREENSHOTS || "test-artifacts/screenshots";
mkdirSync(shots, { recursive: true });

const LAPTOP = { width: 1366, height: 900 };
const TABLET = { width: 768, height: 1024 };
const results = [];

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${error.stack ?? error}`);
    await page
      .screenshot({ path: join(shots, `FAILED-${name.replace(/\W+/g, "-")}.png`), fullPage: true })
      .catch(() => {});
    throw error;
  }
}

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = (selector) => page.locator(selector).innerText();

// The API itself, with the admin key: what the page's figures are checked against.
async function callApi(method, path, body) {
  const answer = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = await answer.text();
  assert.ok(answer.ok, `${method} ${path}: ${answer.status} ${raw}`);
  return JSON.parse(raw);
}

// A figure as the page prints it (en-US grouping, a sign) as a number.
const shownNumber = (text) => Number(text.replace(/[,+\s]/g, ""));

// Explain on the series page: its card and the bars drawn, [group, value, width] each.
async function explain() {
  const region = page.getByRole("region", { name: "What drives this forecast" });
  await region.getByRole("button", { name: "Explain" }).click();
  const bars = region.getByTestId("explanation-bars").getByTestId("bar");
  await bars.first().waitFor();
  const drawn = await bars.evaluateAll((rects) =>
    rects.map((r) => [r.dataset.group, Number(r.dataset.value), Number(r.getAttribute("width"))]),
  );
  return { region, drawn };
}

async function useKey(key, expectedScopes) {
  await page.goto(`${baseUrl}/#/settings`);
  await page.getByLabel("API key", { exact: true }).fill(key);
  await page.getByRole("button", { name: "Save key" }).click();
  await page.getByTestId("key-scopes").getByText(`Scopes: ${expectedScopes}.`).waitFor();
}

const browser = await launchBrowser();
const context = await browser.newContext({ viewport: LAPTOP });
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error)));
page.setDefaultTimeout(20_000);

try {
  await step("without a key the page says where to enter one", async () => {
    await page.goto(baseUrl);
    await page.getByRole("note").getByText("No API key yet").waitFor();
    await page.getByRole("link", { name: "Enter your key in Settings" }).click();
    await page.getByRole("heading", { name: "Settings" }).waitFor();
  });

  await step("settings keeps the admin key and shows its scopes", async () => {
    await useKey(adminKey, "read, write, admin");
    await shot("01-settings-admin-key");
  });

  await step("overview shows serving, champion and the pipeline's state", async () => {
    await page.goto(`${baseUrl}/#/`);
    const serving = page.getByRole("article").filter({ hasText: "Serving" });
    await serving.getByText("Model server:").waitFor();
    assert.match(await serving.innerText(), /ready\s+Model server/);
    const championCard = page.getByRole("article").filter({ hasText: "Champion model" });
    await championCard.getByText(/version \d+/).waitFor();
    assert.match(await championCard.innerText(), /Backtest MASE\s+0\.\d+/);
    // No Dagster runs in this test: the page must say so and what to do.
    const pipeline = page.locator("section.card").filter({ hasText: "Pipeline health" });
    await pipeline.getByRole("alert").waitFor();
    assert.match(await pipeline.innerText(), /quantis up/);
    assert.ok(await page.getByRole("link", { name: "Open the Dagster UI" }).isVisible());
    assert.ok(await page.getByRole("link", { name: "Open the MLflow UI" }).isVisible());
    await shot("02-overview");
  });

  await step("the series list pages and searches", async () => {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Series" })
      .click();
    const pager = page.getByRole("navigation", { name: "Pages of series" });
    await pager.waitFor();
    const firstPage = await pager.innerText();
    const [, pageEnd] = firstPage.match(new RegExp(`1–(\\d+) of ${seriesCount}`)) ?? [];
    assert.ok(
      pageEnd && Number(pageEnd) < seriesCount,
      `first page of ${seriesCount}: ${firstPage}`,
    );
    await pager.getByRole("link", { name: "Next →" }).click();
    const secondStart = `${Number(pageEnd) + 1}–`;
    await page.waitForFunction((start) => {
      const nav = document.querySelector("nav[aria-label='Pages of series']");
      return nav?.textContent.includes(start);
    }, secondStart);
    await shot("03-series-list");
    await page.getByLabel("Name contains").fill(seriesName);
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
    await page.getByRole("link", { name: seriesName }).click();
    await page.getByRole("heading", { name: seriesName }).waitFor();
  });

  let historyOnly;
  await step("the series page charts its history", async () => {
    await page.getByTestId("forecast-chart").locator("canvas").waitFor();
    await page.getByText("No forecast yet").waitFor();
    historyOnly = await chartColourCounts(page);
    assert.equal(historyOnly.band, 0, "no interval bands before any forecast");
  });

  await step("the y-axis shows whole tick labels for five-digit values", async () => {
    const axis = await yAxisLabels(page);
    assert.ok(axis.labels.length >= 2, `y tick labels: ${JSON.stringify(axis.labels)}`);
    const values = axis.labels.map((label) => Number(label.replace(/,/g, "")));
    assert.ok(
      values.every(Number.isFinite) && Math.max(...values) >= 10000,
      `the series is in the ten thousands, so are its labels: ${JSON.stringify(axis.labels)}`,
    );
    assert.ok(axis.widest + 15 <= axis.width, `labels fit the axis: ${JSON.stringify(axis)}`);
    assert.equal(axis.clippedPixels, 0, "nothing is drawn at the canvas's left edge");
  });

  await step("a new forecast appears with shaded 80/95 intervals", async () => {
    await page.getByLabel("Horizon (steps ahead)").fill("21");
    await page.getByRole("button", { name: "Request forecast" }).click();
    await page
      .getByTestId("forecast-meta")
      .getByText(/21 steps by \S+ version \S+/)
      .waitFor();
    const caption = await text(".chart figcaption");
    assert.match(caption, /shaded: 95% and 80% prediction intervals/);
    const drawn = await chartColourCounts(page);
    assert.ok(drawn.line > 0, "the forecast line is drawn");
    assert.ok(drawn.band > drawn.line, `interval bands cover an area (${JSON.stringify(drawn)})`);
    const legend = await text(".u-legend");
    for (const label of [
      "Actual",
      "Forecast",
      "95% lower",
      "95% upper",
      "80% lower",
      "80% upper",
    ]) {
      assert.ok(legend.includes(label), `legend lists ${label}`);
    }
    await shot("04-series-forecast");
  });

  await step("Explain draws the served LightGBM model's feature-group bars", async () => {
    const { region, drawn } = await explain();
    const groups = drawn.map(([group]) => group);
    assert.ok(groups.includes("history") && groups.includes("calendar"), JSON.stringify(drawn));
    assert.ok(
      drawn.every(([, value]) => Number.isFinite(value)),
      `finite contributions: ${JSON.stringify(drawn)}`,
    );
    assert.ok(
      drawn.some(([, , width]) => width > 0),
      `a bar has length: ${JSON.stringify(drawn)}`,
    );
    assert.match(await region.innerText(), /summed over the 21 forecast steps/);
    assert.match(await region.innerText(), /LightGBM member and are in its transformed space/);
    await shot("04b-series-explanation");
  });

  await step("hovering the chart shows values, dragging zooms, reset restores", async () => {
    const canvas = page.locator(".u-over");
    const box = await canvas.boundingBox();
    const forecastValue = page.locator(".u-legend .u-series").nth(2).locator(".u-value");
    await page.mouse.move(box.x + box.width - 5, box.y + box.height / 2);
    await page.waitForFunction(() => {
      const cell = document.querySelectorAll(".u-legend .u-series")[2]?.querySelector(".u-value");
      return cell && /\d/.test(cell.textContent);
    });
    assert.match(await forecastValue.innerText(), /\d/);
    const chart = page.getByTestId("forecast-chart");
    const before = await chart.screenshot();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.mouse.move(box.x - 40, box.y - 40);
    const zoomed = await chart.screenshot();
    assert.notDeepEqual(zoomed, before, "dragging zooms the chart");
    await shot("05-series-zoomed");
    await page.getByRole("button", { name: "Reset zoom" }).click();
    await page.mouse.move(box.x - 40, box.y - 40);
    const reset = await chart.screenshot();
    assert.notDeepEqual(reset, zoomed, "reset zoom shows the whole range again");
  });

  await step("a CSV with a bad row is refused and the row error is shown", async () => {
    const csv = `series,ts,value\n${seriesName},${nextTimestamp},${nextValue}\n${seriesName},not-a-date,6.0\n`;
    await page
      .getByLabel("CSV file")
      .setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Upload" }).click();
    const table = page.locator("table.row-errors");
    await table.waitFor();
    const rows = await table.locator("tbody tr").allInnerTexts();
    assert.equal(rows.length, 1);
    assert.match(rows[0], /line 3, ts\s+timestamp 'not-a-date' is not ISO 8601/);
    assert.match(await text("form.upload [role=alert]"), /nothing was written/);
    await shot("06-series-csv-row-error");
  });

  await step("a good CSV is written and counted", async () => {
    const csv = `series,ts,value\n${seriesName},${nextTimestamp},${nextValue}\n`;
    await page
      .getByLabel("CSV file")
      .setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const counted = async () =>
      Number((await text("p.meta >> nth=0")).match(/(\d+) observations/)[1]);
    const before = await counted();
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByText("1 rows received: 1 new, 0 updated.").waitFor();
    await page.getByText(`${before + 1} observations`).waitFor();
  });

  let champion;
  await step("an admin key promotes a model after confirming", async () => {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Models" })
      .click();
    const promote = page.getByRole("button", { name: /^Promote version / }).first();
    await promote.waitFor();
    champion = (await promote.innerText()).replace("Promote version ", "");
    await promote.click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(`Promote version ${champion}?`).waitFor();
    await shot("07-models-confirm");
    await dialog.getByRole("button", { name: "Promote" }).click();
    await page.getByText(`Version ${champion} is now the champion.`).waitFor();
    const row = page
      .locator("tbody tr")
      .filter({ has: page.getByRole("cell", { name: champion, exact: true }) });
    await row.getByText("champion").waitFor();
    const importance = page.getByRole("region", {
      name: `What the champion relies on (version ${champion})`,
    });
    const shares = await importance
      .getByTestId("bar")
      .evaluateAll((rects) => rects.map((r) => Number(r.dataset.value)));
    assert.ok(shares.length >= 2, `importance bars: ${JSON.stringify(shares)}`);
    const total = shares.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 100) < 1e-6, `shares add up to 100%: ${JSON.stringify(shares)}`);
    await shot("08-models-promoted");
  });

  await step("an admin key rolls the champion back after confirming", async () => {
    const previous = await page
      .locator("section p")
      .filter({ hasText: "Registered model" })
      .innerText();
    await page.getByRole("button", { name: "Roll back champion" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back" }).click();
    await page.getByText(/^Version \S+ is now the champion\.$/).waitFor();
    // The registry is read again after the change; wait for the champion line to follow.
    await page.waitForFunction(
      (before) =>
        [...document.querySelectorAll("section p")].some(
          (p) => p.textContent.startsWith("Registered model") && p.textContent !== before,
        ),
      previous,
    );
    const now = await page.locator("section p").filter({ hasText: "Registered model" }).innerText();
    assert.doesNotMatch(now, new RegExp(`champion version ${champion},`));
    champion = now.match(/champion version (\S+),/)[1];
    await shot("09-models-rolled-back");
  });

  await step(
    "switching the dataset shows its model and series, and a reload keeps it",
    async () => {
      const switcher = page.getByLabel("Dataset", { exact: true });
      assert.equal(await switcher.inputValue(), "default");
      await switcher.selectOption(otherDataset);
      const registryLine = page.locator("section p").filter({ hasText: "Registered model" });
      await registryLine
        .filter({ hasText: new RegExp(`-${otherDataset}: champion version 1, challenger none`) })
        .waitFor();
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Series" })
        .click();
      const pager = page.getByRole("navigation", { name: "Pages of series" });
      await pager.getByText(`1–${otherSeries.length} of ${otherSeries.length}`).waitFor();
      await page.reload();
      await page.getByRole("link", { name: otherSeries[0], exact: true }).waitFor();
      assert.deepEqual(await page.locator("tbody td a").allInnerTexts(), otherSeries);
      assert.equal(await switcher.inputValue(), otherDataset);
      assert.match(page.url(), new RegExp(`dataset=${otherDataset}`));
      await shot("12-other-dataset-series");
      await switcher.selectOption("default");
      await pager.getByText(new RegExp(`^1–\\d+ of ${seriesCount}$`)).waitFor();
    },
  );

  await step(
    "a what-if charts the baseline and the scenario and their total difference",
    async () => {
      await page.goto(`${baseUrl}/#/series/${whatIf.seriesId}`);
      const card = page.getByRole("region", { name: "What if" });
      await card.getByLabel("Covariate").selectOption("promo");
      await card.getByLabel("Value").selectOption("true");
      await card.getByLabel(/^From/).fill(whatIf.from);
      await card.getByLabel(/^to/).fill(whatIf.to);
      const created = page.waitForResponse(
        (r) => r.request().method() === "POST" && r.url().endsWith(`/${whatIf.dataset}/scenarios`),
      );
      await card.getByRole("button", { name: "Run" }).click();
      const answer = await created;
      assert.equal(answer.status(), 201, await answer.text());
      const result = card.getByTestId("what-if-result");
      await result.waitFor();

      // the total shown is the one the API stored for the scenario
      const { id } = await answer.json();
      const stored = await callApi("GET", `/api/v1/datasets/${whatIf.dataset}/scenarios/${id}`);
      assert.deepEqual(stored.spec.changes, [
        { covariate: "promo", op: "set", value: true, start: whatIf.from, end: whatIf.to },
      ]);
      const run = stored.last_run;
      const series = run.series.find((s) => s.series_id === whatIf.seriesId);
      const shown = shownNumber(
        await result.getByTestId("what-if-total").locator("strong").innerText(),
      );
      assert.ok(
        Math.abs(shown - series.total_difference) <= 5e-4,
        `shown ${shown}, stored ${series.total_difference}`,
      );
      // and the one the model implies: its forecasts with the stored values and with promo on
      const dates = series.points.map((p) => p.ds.slice(0, 10));
      const promoOn = dates
        .filter((day) => day >= whatIf.from && day <= whatIf.to)
        .map((day) => ({ series_id: whatIf.seriesId, ts: day, name: "promo", value: true }));
      assert.ok(dates.includes(whatIf.from) && dates.includes(whatIf.to), `horizon: ${dates}`);
      const total = async (future) => {
        const body = { series_ids: [whatIf.seriesId], horizon: run.horizon, future };
        const [forecast] = (await callApi("POST", "/api/v1/forecasts", body)).forecasts;
        return forecast.points.reduce((sum, p) => sum + p.yhat, 0);
      };
      const implied = (await total(promoOn)) - (await total([]));
      assert.notEqual(
        Math.round(implied * 1000),
        0,
        `the promotion moves the forecast: ${implied}`,
      );
      assert.ok(
        Math.abs(series.total_difference - implied) <= 1e-6 * Math.abs(implied),
        `stored ${series.total_difference}, implied by the forecasts ${implied}`,
      );
      assert.equal(Math.sign(shown), Math.sign(implied));

      // both forecasts on the card's chart
      const legend = await result.locator(".u-legend").innerText();
      for (const label of ["Actual", "Baseline", "Scenario", "Scenario 80% lower"]) {
        assert.ok(legend.includes(label), `legend lists ${label}: ${legend}`);
      }
      const drawn = await chartColourCounts(page, "[data-testid=what-if-result]");
      assert.ok(drawn.line > 0 && drawn.scenarioLine > 0, `both lines: ${JSON.stringify(drawn)}`);
      assert.ok(drawn.scenarioBand > 0, `the scenario's bands: ${JSON.stringify(drawn)}`);
      await shot("13-series-what-if");
    },
  );

  await step("Explain on the covariate series draws a bar for the promotion", async () => {
    const { drawn } = await explain();
    const promo = drawn.find(([group]) => group === "promo");
    assert.ok(promo && Number.isFinite(promo[1]), `a promo bar: ${JSON.stringify(drawn)}`);
  });

  await step("a read key is refused promotion with a message saying why", async () => {
    await useKey(readKey, "read");
    await page.goto(`${baseUrl}/#/models`);
    const promote = page.getByRole("button", { name: /^Promote version / }).first();
    await promote.click();
    await page.getByRole("dialog").getByRole("button", { name: "Promote" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "scope" });
    await alert.waitFor();
    assert.match(await alert.innerText(), /lacks the 'admin' scope[\s\S]*Ask an admin for a key/);
    assert.match(await text("section"), new RegExp(`champion version ${champion}`));
    await shot("10-models-refused-read-key");
  });

  await step("the page works by keyboard", async () => {
    await page.goto(`${baseUrl}/#/`);
    await page.reload(); // a fresh document: focus starts at the top, as for a new visitor
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    let reached = false;
    for (let i = 0; i < 6 && !reached; i += 1) {
      await page.keyboard.press("Tab");
      reached = (await page.evaluate(() => document.activeElement?.textContent)) === "Series";
    }
    assert.ok(reached, "Tab reaches the Series link");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Series", exact: true }).waitFor();
  });

  await step("tablet width fits without sideways scrolling", async () => {
    await page.setViewportSize(TABLET);
    await page.goto(`${baseUrl}/#/series?q=${encodeURIComponent(seriesName)}`);
    await page.getByRole("link", { name: seriesName }).click();
    await page.getByTestId("forecast-chart").locator("canvas").waitFor();
    await page.waitForTimeout(300); // the chart resizes on the next frame
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the tablet viewport`);
    await shot("11-tablet-series");
  });

  await step("no script errors on any page", async () => {
    assert.deepEqual(pageErrors, []);
  });
} catch {
  // The failing step printed its error; the summary below reports it.
} finally {
  await browser.close();
}

const failed = results.filter((r) => !r.ok).length;
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
