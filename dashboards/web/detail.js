// Drill-down: one regency with its sites; one site with its charts of the
// last hour, probe targets, outbox, status history and alerts.
import { h, getJSON, num, since } from "./dom.js";
import { statusLabel } from "./status.js";
import { lineChart } from "./chart.js";
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
    root.replaceChildren(...head(r, r.name || r.code, [h("a", { href: "#/" }, "Indonesia"), r.province_name]),
      h("p", {}, `${r.sites_reporting} of ${r.sites_known} sites reporting · RTT p95 ${num(r.rtt_p95_ms)} ms · ` +
        `loss ${num(r.loss_pct)} % over the last ${r.window_s} s · ${r.time_zone}`),
      h("table", { id: "sites" }, h("thead", {}, h("tr", {}, ...["site", "agent", "link", "status", "reason",
        "since", "RTT p95 ms", "loss %", "outbox"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...r.sites.map((x) => h("tr", { class: "click", "data-agent": x.agent,
        onclick: () => { location.hash = `#/site/${encodeURIComponent(x.agent)}`; } },
        h("td", {}, h("a", { href: `#/site/${encodeURIComponent(x.agent)}` }, x.site || x.agent)),
        h("td", {}, x.agent), h("td", {}, x.link || "–"), h("td", {}, statusLabel(x.status)),
        h("td", {}, x.reason), h("td", {}, since(x.since)), h("td", { class: "num" }, num(x.rtt_p95_ms)),
        h("td", { class: "num" }, num(x.loss_pct)),
        h("td", { class: "num" }, x.outbox ? `${x.outbox.pending ?? "–"} pending` : "–"))))));
  }
  return { root, refresh };
}

const pts = (points, key) => points.map((p) => [Date.parse(p.ts), p[key] ?? null]);

function charts(site) {
  const out = [];
  for (const sr of site.series || []) {
    const name = `${sr.probe} ${sr.target}`;
    if (sr.probe === "icmp") {
      out.push(card(`RTT — ${name}`, lineChart("RTT", "ms", [
        { name: "p50", points: pts(sr.points, "rtt_p50_ms") }, { name: "p95", points: pts(sr.points, "rtt_p95_ms") }])));
      out.push(card(`Loss — ${name}`, lineChart("loss", "%", [{ name: "loss", points: pts(sr.points, "loss_pct") }])));
      out.push(card(`Jitter — ${name}`, lineChart("jitter", "ms", [{ name: "jitter", points: pts(sr.points, "jitter_ms") }])));
    } else if (sr.probe === "http") {
      out.push(card(`HTTP total — ${name}`, lineChart("HTTP total", "ms", [{ name: "total", points: pts(sr.points, "total_ms") }])));
    } else if (sr.probe === "tcp") {
      out.push(card(`TCP connect — ${name}`, lineChart("TCP connect", "ms", [{ name: "connect", points: pts(sr.points, "connect_ms") }])));
    }
  }
  return out;
}

const card = (title, ...body) => h("section", { class: "card" }, h("h3", {}, title), ...body);

function kv(pairs) {
  return h("dl", { class: "kv" }, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")]));
}

function targets(site) {
  return h("table", { id: "targets" }, h("thead", {}, h("tr", {}, ...["probe", "target", "result"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...(site.latest || []).map((r) => h("tr", {}, h("td", {}, r.probe), h("td", {}, r.target || "–"),
      h("td", {}, r.probe === "icmp" && r.rtt_ms ? `p95 ${num(r.rtt_ms.p95)} ms, loss ${num(r.loss_pct)} %, jitter ${num(r.jitter_ms)} ms`
        : r.error ? `failed: ${r.error}` : r.total_ms !== undefined ? `${r.status ?? ""} in ${num(r.total_ms)} ms`
          : r.connect_ms !== undefined ? `connected in ${num(r.connect_ms)} ms` : r.ok === false ? "failed" : "ok")))));
}

function history(events) {
  return events.length === 0 ? h("p", {}, "no status change recorded") :
    h("table", { id: "history" }, h("thead", {}, h("tr", {}, ...["time", "from", "to", "reason"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...events.map((e) => h("tr", {}, h("td", {}, since(e.time)), h("td", {}, e.from),
        h("td", {}, statusLabel(e.to.split(" ")[0]), e.to.includes("AT RISK") ? " AT RISK" : ""), h("td", {}, e.reason)))));
}

export function siteView(agent) {
  const root = h("div", { id: "site", "data-agent": agent });
  async function refresh() {
    const [x, ev, al] = await Promise.all([getJSON(`/api/v1/sites/${encodeURIComponent(agent)}`),
      getJSON("/api/v1/events?scope=site&limit=1000"), getJSON("/api/v1/alerts")]);
    const w = x.window || {};
    root.replaceChildren(...head(x, x.site || x.agent, [h("a", { href: "#/" }, "Indonesia"), x.province_name,
      h("a", { href: `#/regency/${x.regency}` }, x.regency_name || x.regency)]),
      h("div", { class: "grid" },
        card("Site", kv([["agent", x.agent], ["link", x.link], ["version", x.version], ["boot", x.boot],
          ["interval", x.interval_s ? `${x.interval_s} s` : null], ["last result", since(x.last_result)],
          ["clock skew", x.skew_ms !== undefined && x.skew_ms !== null ? `${x.skew_ms} ms` : null]])),
        card("Now (status window)", kv([["results", w.results], ["RTT p95", `${num(w.rtt_p95_ms)} ms`],
          ["loss", `${num(w.loss_pct)} %`], ["jitter", `${num(w.jitter_ms)} ms`], ["upload", `${num(w.upload_mbps)} Mbit/s`],
          ["usual RTT p95", x.baseline ? `${num(x.baseline.rtt_p95_ms)} ms` : null]])),
        card("Outbox and delivery", kv([["outbox pending", x.outbox ? x.outbox.pending : null],
          ["outbox dropped", x.outbox ? x.outbox.dropped : null],
          ["batches stored", x.delivery ? `${x.delivery.stored} of ${x.delivery.expected}` : null],
          ["missing", x.delivery ? x.delivery.missing : null]])),
        alertsPanel(al, (a) => a.site === agent || (a.regency === x.regency && !a.site))),
      h("h3", {}, "Last hour"), h("div", { class: "grid", id: "charts" }, ...charts(x)),
      h("h3", {}, "Probe targets (latest batch)"), targets(x),
      h("h3", {}, "Status history"), history(ev.events.filter((e) => e.key === agent)));
  }
  return { root, refresh };
}
