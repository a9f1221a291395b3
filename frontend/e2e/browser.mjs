// Launches Debian's Chromium through playwright-core (a test tool's own browser download
// cannot reach its servers here). QUANTIS_CHROMIUM overrides the executable path.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.QUANTIS_CHROMIUM || "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run scripts/ensure_browser.sh (apt-get install chromium)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
