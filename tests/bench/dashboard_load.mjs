// make bench: the national page's load time in headless Chromium.
// Usage: node dashboard_load.mjs URL NPOINTS OUTDIR; prints one JSON line.
import { chromium } from "playwright-core";

const [url, npoints, outdir] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll("svg#map a.site").length === n,
    Number(npoints), { timeout: 120000, polling: 100 });
  const load_ms = Date.now() - t0;
  const redraw_ms = await page.evaluate(() => {
    const t = performance.now();
    const box = document.getElementById("f-3t");
    box.click();
    box.click();
    return Math.round(performance.now() - t);
  });
  const dom_nodes = await page.evaluate(() => document.getElementsByTagName("*").length);
  await page.screenshot({ path: `${outdir}/national-15000.png` });
  process.stdout.write(JSON.stringify({ points: Number(npoints), load_ms, redraw_ms, dom_nodes }) + "\n");
} finally {
  await browser.close();
}
