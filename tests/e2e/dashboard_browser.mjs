// Drives the web dashboard in headless Chromium for tests/e2e/test_dashboard.py.
// Usage: node dashboard_browser.mjs URL OUTDIR NPOINTS AGENT
// Prints one JSON line per phase on stdout; waits for a line on stdin
// ("go") before the live-update phase, which expects NPOINTS + 1 points.
// Every console error and page error is reported in "errors".
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";

const [url, outdir, npointsArg, agent] = process.argv.slice(2);
const npoints = Number(npointsArg);
const errors = [];
const say = (o) => process.stdout.write(JSON.stringify({ ...o, errors }) + "\n");
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll("svg#map a.site").length === n &&
    document.querySelectorAll("#regions tbody tr").length > 0, npoints, { timeout: 15000 });
  const national = await page.evaluate(() => ({
    points: [...document.querySelectorAll("svg#map a.site")].map((a) => ({
      agent: a.dataset.agent, status: a.dataset.status, t3: a.dataset["3t"] === "1",
      fill: a.querySelector(".mark").getAttribute("fill"),
      shape: a.querySelector(".mark").dataset.shape })),
    land: document.querySelector("svg#map path.land").getAttribute("d").length,
    risk: [...document.querySelectorAll("svg#map circle.risk")].map((c) => c.dataset.regency),
    rows: [...document.querySelectorAll("#regions tbody tr")].map((r) => r.dataset.regency),
    first_row: document.querySelector("#regions tbody tr").textContent,
    first_row_province: document.querySelector("#regions tbody tr a.province").getAttribute("href"),
    first_row_upload: document.querySelector('#regions tbody tr td[data-col="upload"]').textContent,
    rows_upload: [...document.querySelectorAll('#regions tbody tr td[data-col="upload"]')].map((td) => td.textContent),
    upload_column: document.querySelectorAll("#regions thead th")[5].textContent,
    banner: document.getElementById("banner").hidden ? null : document.getElementById("banner").textContent,
    clocks: document.getElementById("clocks").textContent,
    counts: Object.fromEntries([...document.querySelectorAll(".count")].map((c) =>
      [c.dataset.count, Number(c.querySelector("b").textContent)])),
  }));
  national.load_ms = Date.now() - t0;
  await page.screenshot({ path: `${outdir}/national.png`, fullPage: true });
  await page.check("#f-3t");
  national.points_3t_only = await page.evaluate(() => document.querySelectorAll("svg#map a.site").length);
  national.rows_3t_only = await page.evaluate(() => document.querySelectorAll("#regions tbody tr").length);
  await page.uncheck("#f-3t");
  await page.fill("#f-search", "bandung");
  national.rows_search = await page.evaluate(() =>
    [...document.querySelectorAll("#regions tbody tr")].map((r) => r.dataset.regency));
  await page.fill("#f-search", "");
  say({ phase: "national", ...national });

  // live update: the test adds a site; the map shows it without a reload
  await page.evaluate(() => { window.__notReloaded = true; });
  await lines.next();
  await page.waitForFunction((n) => document.querySelectorAll("svg#map a.site").length === n,
    npoints + 1, { timeout: 15000 });
  say({ phase: "live", not_reloaded: await page.evaluate(() => window.__notReloaded === true) });

  // drill-down: the first regency, then the site
  await page.click("#regions tbody tr:first-child a");
  await page.waitForSelector("#regency #sites tbody tr", { timeout: 10000 });
  const regency = await page.evaluate(() => ({
    code: document.getElementById("regency").dataset.regency,
    sites: [...document.querySelectorAll("#sites tbody tr")].map((r) => r.dataset.agent) }));
  await page.screenshot({ path: `${outdir}/regency.png`, fullPage: true });
  await page.click(`#sites tbody tr[data-agent="${agent}"] a`);
  await page.waitForFunction(() => document.querySelectorAll("#charts svg.chart circle.pt").length > 0,
    null, { timeout: 10000 });
  const site = await page.evaluate(() => ({
    agent: document.getElementById("site").dataset.agent,
    charts: [...document.querySelectorAll("#charts .card")].map((c) => ({
      title: c.querySelector("h3").textContent, points: c.querySelectorAll("circle.pt").length,
      lines: c.querySelectorAll("polyline").length })),
    targets: [...document.querySelectorAll("#targets tbody tr")].map((r) => r.textContent),
    history: [...document.querySelectorAll("#history tbody tr")].map((r) => r.textContent),
    alerts: document.getElementById("alerts").textContent }));
  await page.screenshot({ path: `${outdir}/site.png`, fullPage: true });
  // the 24 h and 7 d ranges: buttons above the charts
  const ranges = {};
  for (const r of ["24h", "7d"]) {
    await page.click(`.ranges button[data-range="${r}"]`);
    await page.waitForFunction((rg) => document.querySelectorAll(`#charts[data-range="${rg}"] svg.chart circle.pt`).length > 0,
      r, { timeout: 10000 });
    ranges[r] = await page.evaluate(() => {
      const cards = [...document.querySelectorAll("#charts .card")];
      return { heading: document.getElementById("charts-title").textContent,
        titles: cards.map((c) => c.querySelector("h3").textContent),
        charts: cards.map((c) => ({ points: c.querySelectorAll("circle.pt").length,
          first_t: Math.min(...[...c.querySelectorAll("circle.pt")].map((p) => Number(p.dataset.t))) })) };
    });
  }
  await page.screenshot({ path: `${outdir}/site-7d.png`, fullPage: true });
  const polls = await page.evaluate(() => Number(document.getElementById("updated").dataset.polls));
  await page.waitForFunction((n) => Number(document.getElementById("updated").dataset.polls) > n + 1, polls,
    { timeout: 15000 });
  const after_poll = await page.evaluate(() => ({ range: document.getElementById("charts").dataset.range,
    pressed: document.querySelector('.ranges button[aria-pressed="true"]').dataset.range }));
  // the province, from the site's breadcrumbs; then its first regency
  await page.click('#site nav.crumbs a[href^="#/province/"]');
  await page.waitForFunction(() => document.querySelectorAll("#province #regions tbody tr").length > 0 &&
    document.querySelectorAll("#province svg#map a.site").length > 0, null, { timeout: 10000 });
  const province = await page.evaluate(() => ({
    code: document.getElementById("province").dataset.province,
    title: document.querySelector("#province h2").textContent,
    rows: [...document.querySelectorAll("#regions tbody tr")].map((r) => r.dataset.regency),
    first_row: document.querySelector("#regions tbody tr").textContent,
    second_row: document.querySelector("#regions tbody tr:nth-child(2)").textContent,
    points: [...document.querySelectorAll("svg#map a.site")].map((a) => a.dataset.agent),
    map_width: Number(document.querySelector("svg#map").getAttribute("viewBox").split(" ")[2]),
    crumbs: [...document.querySelectorAll("nav.crumbs a")].map((a) => a.textContent) }));
  await page.screenshot({ path: `${outdir}/province.png`, fullPage: true });
  await page.click("#regions tbody tr:first-child td a");
  await page.waitForSelector("#regency #sites tbody tr", { timeout: 10000 });
  province.regency_crumbs = await page.evaluate(() =>
    [...document.querySelectorAll("nav.crumbs a")].map((a) => a.textContent));
  say({ phase: "drill", regency, site, ranges, after_poll, province, now_ms: Date.now() });

  // a tablet (768 x 1024, portrait): no page wider than the screen, map and
  // table visible, on the national, province and site pages
  const tablet = await browser.newPage({ viewport: { width: 768, height: 1024 } });
  tablet.on("console", (m) => { if (m.type() === "error") errors.push(`tablet console: ${m.text()}`); });
  tablet.on("pageerror", (e) => errors.push(`tablet page error: ${e.message}`));
  const fits = (sel) => tablet.evaluate((q) => {
    const r = (el) => { const b = el && el.getBoundingClientRect(); return b ? { w: b.width, h: b.height, right: b.right } : null; };
    const el = document.querySelector(q);
    return { scroll_width: document.documentElement.scrollWidth, inner_width: window.innerWidth,
      target: r(el), visible: !!el && el.checkVisibility() };
  }, sel);
  const views = {};
  await tablet.goto(url);
  await tablet.waitForFunction(() => document.querySelectorAll("svg#map a.site").length > 0 &&
    document.querySelectorAll("#regions tbody tr").length > 0, null, { timeout: 15000 });
  views.national = { map: await fits("svg#map"), table: await fits("#regions") };
  await tablet.screenshot({ path: `${outdir}/national-tablet.png`, fullPage: true });
  await tablet.goto(`${url}#/province/95`);
  await tablet.waitForSelector("#province #regions tbody tr", { timeout: 10000 });
  views.province = { map: await fits("svg#map"), table: await fits("#regions") };
  await tablet.goto(`${url}#/site/${agent}`);
  await tablet.waitForFunction(() => document.querySelectorAll("#charts svg.chart circle.pt").length > 0,
    null, { timeout: 10000 });
  views.site = { charts: await fits("#charts"), table: await fits("#targets") };
  await tablet.screenshot({ path: `${outdir}/site-tablet.png`, fullPage: true });
  say({ phase: "tablet", views });
} catch (e) {
  errors.push(`driver: ${e.message.split("\n")[0]}`);
  say({ phase: "failed" });
} finally {
  await browser.close();
}
