// Drill-down: one regency with its sites; one site with its charts over
// 1 h / 24 h / 7 d, probe targets, outbox, status history and alerts.
import { h, getJSON, num, since } from "./dom.js";
import { statusLabel } from "./status.js";
import { lineChart, RANGES } from "./chart.js";
import { alertsPanel } from "./nation.js";

function head(doc, title, crumbs) {
  return [h("nav", { class: "crumbs" }, ...crumbs.flatMap((c) => [c, " › "]), title),
    h("h2", {}, title, " ", statusLabel(doc.status),
      doc.is_3t ? h("span", { class: "badge t3" }, "3T") : null,
      doc.at_risk ? h("span", { class: "badge" }, "AT RISK") : null),
    h("p", { class: "reason" }, doc.reason, doc.since ? ` — since ${since(doc.since)}` : "")];
}

export function regencyView(code) {
  const root = h("div", { id: "regency", "data-regency": code });
  async function refresh() {
    const r = await getJSON(`/api/v1/regions/${encodeURIComponent(code)}`);
    root.replaceChildren(...head(r, r.name || r.code, [h("a", { href: "#/" }, "Indonesia"),
      h("a", { href: `#/province/${r.province}` }, r.province_name || r.province)]),
      h("p", {}, `${r.sites_reporting} of ${r.sites_known} sites reporting · RTT p95 ${num(r.rtt_p95_ms)} ms · ` +
        `loss ${num(r.loss_pct)} % over the last ${r.window_s} s · upload ${num(r.upload_mbps)} Mbit/s ` +
        `(median of the sites' latest) · ${r.time_zone}`),
      h("table", { id: "sites" }, h("thead", {}, h("tr", {}, ...["site", "agent", "link", "status", "reason",
        "since", "RTT p95 ms", "loss %", "upload Mbit/s", "outbox"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...r.sites.map((x) => h("tr", { class: "click", "data-agent": x.agent,
        onclick: () => { location.hash = `#/site/${encodeURIComponent(x.agent)}`; } },
        h("td", {}, h("a", { href: `#/site/${encodeURIComponent(x.agent)}` }, x.site || x.agent)),
        h("td", {}, x.agent), h("td", {}, x.link || "–"), h("td", {}, statusLabel(x.status)),
        h("td", {}, x.reason), h("td", {}, since(x.since)), h("td", { class: "num" }, num(x.rtt_p95_ms)),
        h("td", { class: "num" }, num(x.loss_pct)),
        h("td", { class: "num", title: x.upload_time ? `measured ${since(x.upload_time)}` : null }, num(x.upload_mbps)),
        h("td", { class: "num" }, x.outbox ? `${x.outbox.pending ?? "–"} pending` : "–"))))));
  }
  return { root, refresh };
}

// [time, value] pairs; a bucket's point sits in the middle of its bucket.
const pts = (site, points, key) => points.map((p) =>
  [Date.parse(p.ts) + (site.bucket_s || 0) * 500, p[key] ?? null]);

// The result kinds' table (common/resultkind.h), as `pantau kinds --json`
// wrote it at build time: each kind's series figures and their charts, and
// how its results are said in one line. Fetched once.
let kindsTable = null;
async function resultKinds() {
  if (!kindsTable) kindsTable = getJSON("/ui/kinds.json").catch((e) => { kindsTable = null; throw e; });
  return kindsTable;
}

// Per probe kind: charts of [title, unit, [[line name, point key], ...]],
// in the order of its series figures.
function kindCharts(kinds) {
  const out = {};
  for (const k of kinds.kinds || []) {
    const charts = [];
    for (const s of k.series || []) {
      if (!s.chart) continue;
      let c = charts.find(([title]) => title === s.chart);
      if (!c) charts.push(c = [s.chart, s.unit, []]);
      c[2].push([s.line, s.key]);
    }
    out[k.name] = charts;
  }
  return out;
}

function charts(site, range, kinds) {
  const out = [];
  const byKind = kindCharts(kinds);
  // no line across missing data: more than 1.5 buckets or 3 intervals
  const gap = site.bucket_s ? site.bucket_s * 1500 : (site.interval_s || 0) * 3000;
  for (const sr of site.series || []) {
    for (const [title, unit, lines] of byKind[sr.probe] || []) {
      const name = `${title} — ${sr.probe} ${sr.target}`;
      out.push(card(name, lineChart(title, unit,
        lines.map(([n, key]) => ({ name: n, points: pts(site, sr.points, key) })), range, gap)));
    }
  }
  return out;
}

function rangeButtons(st, refresh) {
  const bar = h("div", { class: "ranges", role: "group", "aria-label": "time range of the charts" });
  const paint = () => bar.querySelectorAll("button").forEach((b) =>
    b.setAttribute("aria-pressed", String(b.dataset.range === st.range)));
  bar.append(...Object.keys(RANGES).map((r) => h("button", { type: "button", "data-range": r,
    onclick: () => { st.range = r; paint(); refresh(); } }, r.replace("h", " h").replace("d", " d"))));
  paint();
  return bar;
}

function chartsHeading(x) {
  const rg = RANGES[x.range] || RANGES["1h"];
  const how = x.bucket_s ? ` in ${x.bucket_s >= 3600 ? `${x.bucket_s / 3600}-hour` : `${x.bucket_s / 60}-minute`}` +
    " buckets: worst RTT p95, pooled loss, mean of the other figures" : ", every measurement";
  return `${rg.label[0].toUpperCase()}${rg.label.slice(1)}${how}` + (x.series_truncated ? " (truncated: too many results)" : "");
}

const card = (title, ...body) => h("section", { class: "card" }, h("h3", {}, title), ...body);

function kv(pairs) {
  return h("dl", { class: "kv" }, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")]));
}

function targets(site, kinds) {
  const say = Object.fromEntries((kinds.kinds || []).map((k) => [k.name, k.say]));
  return h("table", { id: "targets" }, h("thead", {}, h("tr", {}, ...["probe", "target", "result"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...(site.latest || []).map((r) => h("tr", {}, h("td", {}, r.probe), h("td", {}, r.target || "–"),
      h("td", {}, resultText(r, say[r.probe] || "outcome"))))));
}

const mbps = (d) => (d && d.mbps !== undefined ? `${num(d.mbps)} Mbit/s` : d && d.error ? `failed (${d.error})` : "–");

// One result in words, as its kind says it (kinds.json "say").
function resultText(r, say) {
  if (say === "train" && r.rtt_ms) return `p95 ${num(r.rtt_ms.p95)} ms, loss ${num(r.loss_pct)} %, jitter ${num(r.jitter_ms)} ms`;
  if (r.skipped) return `skipped (${r.skipped})`;
  if (r.error) return `failed: ${r.error}`;
  if (say === "rates") return `download ${mbps(r.download)}, upload ${mbps(r.upload)}`;
  if (say === "upload") return `upload ${mbps(r)} in ${num(r.total_ms)} ms`;
  if (say === "response" && r.total_ms !== undefined) return `${r.status ?? ""} in ${num(r.total_ms)} ms`;
  if (say === "connect" && r.connect_ms !== undefined) return `connected in ${num(r.connect_ms)} ms`;
  if (say === "traffic") return [r.handshake_ms && `handshake p50 ${num(r.handshake_ms.p50)} ms`,
    r.retrans_pct !== undefined && `retransmitted ${num(r.retrans_pct)} %`,
    r.dns_fail_pct !== undefined && `DNS failed ${num(r.dns_fail_pct)} %`, `${r.flows} flows`].filter(Boolean).join(", ");
  return r.ok === false ? "failed" : "ok";
}

function history(events) {
  return events.length === 0 ? h("p", {}, "no status change recorded") :
    h("table", { id: "history" }, h("thead", {}, h("tr", {}, ...["time", "from", "to", "reason"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...events.map((e) => h("tr", {}, h("td", {}, since(e.time)), h("td", {}, e.from),
        h("td", {}, statusLabel(e.to.split(" ")[0]), e.to.includes("AT RISK") ? " AT RISK" : ""), h("td", {}, e.reason)))));
}

export function siteView(agent) {
  const root = h("div", { id: "site", "data-agent": agent });
  const st = { range: "1h" };
  // a new range is fetched at once, through the app's poll (one at a time)
  const buttons = rangeButtons(st, () => window.dispatchEvent(new Event("pantau:refresh")));
  async function refresh() {
    const range = st.range;
    const [x, ev, al, kinds] = await Promise.all([
      getJSON(`/api/v1/sites/${encodeURIComponent(agent)}?range=${range}`),
      getJSON("/api/v1/events?scope=site&limit=1000"), getJSON("/api/v1/alerts"), resultKinds()]);
    if (range !== st.range) return;   // the range changed meanwhile: a newer refresh draws
    const w = x.window || {};
    root.replaceChildren(...head(x, x.site || x.agent, [h("a", { href: "#/" }, "Indonesia"),
      h("a", { href: `#/province/${x.province}` }, x.province_name || x.province),
      h("a", { href: `#/regency/${x.regency}` }, x.regency_name || x.regency)]),
      h("div", { class: "grid" },
        card("Site", kv([["agent", x.agent], ["link", x.link], ["version", x.version], ["boot", x.boot],
          ["latest upload", x.upload_mbps !== null && x.upload_mbps !== undefined
            ? `${num(x.upload_mbps)} Mbit/s at ${since(x.upload_time)}` : null],
          ["interval", x.interval_s ? `${x.interval_s} s` : null], ["last result", since(x.last_result)],
          ["clock skew", x.skew_ms !== undefined && x.skew_ms !== null ? `${x.skew_ms} ms` : null],
          ["agent clock", x.clock || (x.clock_skew_ms !== undefined ? "in step" : null)]])),
        card("Now (status window)", kv([["results", w.results], ["RTT p95", `${num(w.rtt_p95_ms)} ms`],
          ["loss", `${num(w.loss_pct)} %`], ["jitter", `${num(w.jitter_ms)} ms`], ["upload", `${num(w.upload_mbps)} Mbit/s`],
          ["usual RTT p95", x.baseline ? `${num(x.baseline.rtt_p95_ms)} ms` : null]])),
        card("Outbox and delivery", kv([["outbox pending", x.outbox ? x.outbox.pending : null],
          ["outbox dropped", x.outbox ? x.outbox.dropped : null],
          ["batches stored", x.delivery ? `${x.delivery.stored} of ${x.delivery.expected}` : null],
          ["missing", x.delivery ? x.delivery.missing : null],
          ["lost (replay gave up)", x.delivery ? x.delivery.lost ?? 0 : null]])),
        alertsPanel(al, (a) => a.site === agent || (a.regency === x.regency && !a.site))),
      h("div", { class: "charthead" }, h("h3", { id: "charts-title" }, chartsHeading(x)), buttons),
      h("div", { class: "grid", id: "charts", "data-range": x.range }, ...charts(x, x.range, kinds)),
      h("h3", {}, "Probe targets (latest batch)"), targets(x, kinds),
      h("h3", {}, "Status history"), history(ev.events.filter((e) => e.key === agent)));
  }
  return { root, refresh };
}
