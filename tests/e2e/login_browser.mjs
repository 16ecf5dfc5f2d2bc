// Drives the dashboard's login (dashboards/web/login.js) in headless
// Chromium for tests/e2e/test_auth.py. Usage: node login_browser.mjs URL
// GOOD_TOKEN BAD_TOKEN. Prints one JSON line: what the page showed at
// each step, and every page error.
import { chromium } from "playwright-core";

const [url, good, bad] = process.argv.slice(2);
const errors = [];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const out = {};
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  const auths = [];
  page.on("request", (r) => { if (r.url().includes("/api/v1/")) auths.push(r.headers().authorization || null); });
  const visible = () => page.waitForSelector("#login:not([hidden]) #login-token", { timeout: 15000 });
  // a poll that succeeded (app.js counts them) and no login shown
  const loggedIn = () => page.waitForFunction(() => document.getElementById("login").hidden &&
    Number(document.getElementById("updated").dataset.polls || 0) > 0, null, { timeout: 15000 });
  await page.goto(url);
  await visible();
  out.first = await page.textContent("#login-why");
  out.error_shown = !(await page.evaluate(() => document.getElementById("error").hidden));
  await page.fill("#login-token", bad);
  await page.click("#login button[type=submit]");
  await page.waitForFunction(() => !document.getElementById("login").hidden &&
    document.getElementById("login-why").textContent.includes("refused"), null, { timeout: 15000 });
  out.refused = await page.textContent("#login-why");
  await page.fill("#login-token", good);
  await page.click("#login button[type=submit]");
  await loggedIn();
  out.kept = await page.evaluate(() => sessionStorage.getItem("pantau.token"));
  out.bearer_sent = auths.includes(`Bearer ${good}`);
  await page.reload();
  await loggedIn();
  out.after_reload = true;
  out.signout_visible = await page.isVisible("#signout");
  await page.click("#signout");
  await visible();
  out.after_signout = await page.evaluate(() => sessionStorage.getItem("pantau.token"));
} catch (e) {
  errors.push(`driver, after ${JSON.stringify(Object.keys(out))}: ${e.message}`);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ ...out, errors }) + "\n");
