// The national view: counts per status, filters and search, the map of
// Indonesia with every site, the regencies worst first, the firing alerts.
import { h, s, getJSON, num, since } from "./dom.js";
import { STATUSES, marker, statusLabel } from "./status.js";

let outline = null;          // indonesia.json, fetched once

export async function loadOutline() {
  if (!outline) outline = await getJSON("/ui/indonesia.json");
}

// Sites by regency code.
export function sitesByRegency(sites) {
  const m = new Map();
  for (const x of sites) (m.get(x.regency) || m.set(x.regency, []).get(x.regency)).push(x);
  return m;
}

function filtersBar(st, redraw) {
  const province = h("select", { id: "f-province", "aria-label": "province",
    onchange: (e) => { st.province = e.target.value; redraw(); } }, h("option", { value: "" }, "all provinces"));
  const status = h("select", { id: "f-status", "aria-label": "status",
    onchange: (e) => { st.status = e.target.value; redraw(); } },
    h("option", { value: "" }, "any status"), h("option", { value: "RISK" }, "at risk"),
    ...STATUSES.map((x) => h("option", { value: x }, x)));
  const t3 = h("input", { type: "checkbox", id: "f-3t",
    onchange: (e) => { st.only3t = e.target.checked; redraw(); } });
  const search = h("input", { type: "search", id: "f-search", placeholder: "search regency or site",
    "aria-label": "search regency or site", oninput: (e) => { st.q = e.target.value.trim().toLowerCase(); redraw(); } });
  return { el: h("div", { class: "filters" }, province, status, h("label", {}, t3, " 3T only"), search), province };
}

function regencyMatches(st, r, sitesOf) {
  if (st.province && r.province !== st.province) return false;
  if (st.only3t && !r.is_3t) return false;
  if (st.status === "RISK" && !r.at_risk) return false;
  if (st.status && st.status !== "RISK" && r.status !== st.status &&
      !(sitesOf.get(r.code) || []).some((x) => x.status === st.status)) return false;
  if (!st.q) return true;
  return `${r.code} ${r.name || ""}`.toLowerCase().includes(st.q) ||
    (sitesOf.get(r.code) || []).some((x) => siteMatchesText(st, x));
}

const siteMatchesText = (st, x) => `${x.agent} ${x.site || ""}`.toLowerCase().includes(st.q);

function siteMatches(st, x, reg) {
  if (!reg) return !st.province && !st.only3t && !st.q;
  if (st.province && reg.province !== st.province) return false;
  if (st.only3t && !reg.is_3t) return false;
  if (st.status === "RISK" && !reg.at_risk) return false;
  if (st.status && st.status !== "RISK" && x.status !== st.status) return false;
  if (!st.q) return true;
  return siteMatchesText(st, x) || `${reg.code} ${reg.name || ""}`.toLowerCase().includes(st.q);
}

export function countsBar(nation) {
  const c = nation.site_counts || {};
  return [h("div", { class: "count", "data-count": "regencies-at-risk" }, "regencies at risk",
      h("b", {}, nation.regencies_at_risk), ` of ${nation.regencies}`),
    ...STATUSES.map((x) => h("div", { class: "count", "data-count": x }, statusLabel(x), h("b", {}, c[x] || 0)))];
}

// The box of the map to show: the whole outline, or around the given
// sites (padded, at least a sixth of the country wide, same aspect).
function viewBox(o, px, py, zoomTo) {
  const placed = (zoomTo || []).filter((x) => x.lat !== null && x.lon !== null && x.lat !== undefined);
  if (!zoomTo || placed.length === 0) return [0, 0, o.width, o.height];
  const xs = placed.map(px), ys = placed.map(py);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const w = Math.min(o.width, Math.max(o.width / 6, (Math.max(...xs) - Math.min(...xs)) * 1.4,
    (Math.max(...ys) - Math.min(...ys)) * 1.4 * o.width / o.height));
  const hh = w * o.height / o.width;
  const clamp = (v, size, max) => Math.min(Math.max(v - size / 2, 0), max - size);
  return [clamp(cx, w, o.width), clamp(cy, hh, o.height), w, hh];
}

// The map of every site that passes the filters; zoomTo: sites to zoom the
// map around (a province), else the whole country.
export function mapSvg(data, st, zoomTo = null) {
  const o = outline;
  const px = (x) => ((x.lon - o.lon0) * o.scale);
  const py = (x) => ((o.lat1 - x.lat) * o.scale);
  const box = viewBox(o, px, py, zoomTo);
  const k = box[2] / o.width;      // symbols keep their size on screen
  const svg = s("svg", { id: "map", viewBox: box.map((v) => v.toFixed(1)).join(" "), role: "img",
    "aria-label": zoomTo ? "map of the province with its sites by status" : "map of Indonesia with every site by status" },
  s("path", { class: "land", d: o.path, "stroke-width": (0.5 * k).toFixed(3) }));
  const regs = new Map(data.regions.map((r) => [r.code, r]));
  const placed = data.sites.filter((x) => x.lat !== null && x.lon !== null && x.lat !== undefined);
  // regencies at risk: a halo around their sites
  const byReg = new Map();
  for (const x of placed) (byReg.get(x.regency) || byReg.set(x.regency, []).get(x.regency)).push(x);
  for (const [code, xs] of byReg) {
    const r = regs.get(code);
    if (!r || !r.at_risk || !regencyMatches(st, r, data.sitesOf)) continue;
    const cx = xs.reduce((a, x) => a + px(x), 0) / xs.length;
    const cy = xs.reduce((a, x) => a + py(x), 0) / xs.length;
    svg.append(s("circle", { class: "risk", "data-regency": code, cx: cx.toFixed(1), cy: cy.toFixed(1), r: 14 * k,
      "stroke-width": 1.5 * k },
      s("title", {}, `${r.name || code} AT RISK: ${r.reason}`)));
  }
  // worst last, so it is drawn on top
  const order = [...placed].sort((a, b) => STATUSES.indexOf(b.status) - STATUSES.indexOf(a.status));
  for (const x of order) {
    const r = regs.get(x.regency);
    if (!siteMatches(st, x, r)) continue;
    const g = s("a", { class: "site", href: `#/site/${encodeURIComponent(x.agent)}`,
      "data-agent": x.agent, "data-status": x.status, "data-3t": r && r.is_3t ? "1" : "0" });
    if (data.inIncident && data.inIncident.has(x.agent)) g.append(s("circle", { class: "incident",
      "data-incident": data.inIncident.get(x.agent), cx: px(x).toFixed(2), cy: py(x).toFixed(2), r: 8.5 * k,
      "stroke-width": 1.5 * k }));
    if (r && r.is_3t) g.append(s("circle", { class: "t3", cx: px(x).toFixed(2), cy: py(x).toFixed(2), r: 6.5 * k,
      "stroke-width": 1.2 * k, "stroke-dasharray": `${2 * k} ${1.5 * k}` }));
    g.append(marker(x.status, px(x), py(x), 3.6 * k, { class: "mark" }),
      s("title", {}, `${x.site || x.agent} (${x.agent}), ${r ? r.name : x.regency}: ${x.status}, ${x.reason}`));
    svg.append(g);
  }
  return svg;
}

export function legend() {
  const item = (el, text) => h("span", {}, s("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true" }, el), " ", text);
  return h("div", { class: "legend" }, ...STATUSES.map((x) => item(marker(x, 8, 8, 5), x)),
    item(s("circle", { cx: 8, cy: 8, r: 6.5, fill: "none", stroke: "#0072b2", "stroke-dasharray": "2 1.5" }), "3T regency"),
    item(s("circle", { cx: 8, cy: 8, r: 7, fill: "#cc79a7", "fill-opacity": 0.3, stroke: "#cc79a7" }), "regency at risk"),
    item(s("circle", { cx: 8, cy: 8, r: 6.5, fill: "none", stroke: "#d55e00", "stroke-width": 1.5 }), "site in an incident"));
}

export function regionsTable(data, st) {
  const rows = data.regions.filter((r) => regencyMatches(st, r, data.sitesOf));
  return h("table", { id: "regions" },
    h("caption", { style: "text-align:left" }, `${rows.length} of ${data.regions.length} regencies with sites, worst first`),
    h("thead", {}, h("tr", {}, ...["regency", "province", "sites reporting / known", "RTT p95 ms",
      "loss %", "upload Mbit/s", "status", "reason", "since"].map((t, i) =>
      h("th", { class: i === 1 || i === 8 ? "wide" : null,
        title: i === 5 ? "median of its sites' latest upload rates of the last 24 h" : null }, t)))),
    h("tbody", {}, ...rows.map((r) => h("tr", { class: `click${r.at_risk ? " at-risk" : ""}`, "data-regency": r.code,
      onclick: () => { location.hash = `#/regency/${r.code}`; } },
      h("td", {}, h("a", { href: `#/regency/${r.code}` }, r.name || r.code),
        r.is_3t ? h("span", { class: "badge t3", title: "tertinggal, terdepan or terluar" }, "3T") : null,
        r.at_risk ? h("span", { class: "badge" }, "AT RISK") : null),
      h("td", { class: "wide" }, h("a", { href: `#/province/${r.province}`, class: "province",
        onclick: (e) => e.stopPropagation() }, r.province_name)),
      h("td", { class: "num" }, `${r.sites_reporting} / ${r.sites_known}`),
      h("td", { class: "num" }, num(r.rtt_p95_ms)), h("td", { class: "num" }, num(r.loss_pct)),
      h("td", { class: "num", "data-col": "upload" }, num(r.upload_mbps)),
      h("td", {}, statusLabel(r.status)), h("td", {}, r.reason),
      h("td", { class: "wide" }, since(r.since))))));
}

export function alertsPanel(alerts, keep = () => true) {
  const firing = alerts.alerts.filter((a) => a.firing && keep(a));
  return h("section", { class: "card", id: "alerts" }, h("h3", {}, `Active alerts (${firing.length})`),
    firing.length === 0 ? h("p", {}, "none firing") :
      h("ul", {}, ...firing.map((a) => h("li", { "data-alert": a.key },
        h("b", {}, `${a.alertname} `), `[${a.severity}] `,
        a.site ? h("a", { href: `#/site/${encodeURIComponent(a.site)}` }, a.site) : null,
        a.regency ? [" ", h("a", { href: `#/regency/${a.regency}` }, a.regency_name || a.regency)] : null,
        `: ${a.reason} — since ${since(a.starts_at || a.since)}`))));
}

// The open incidents (docs/incidents.md): bad sites behind a shared hop.
export function incidentsPanel(inc) {
  const open = inc.incidents.filter((x) => x.open);
  return h("section", { class: "card", id: "incidents" }, h("h3", {}, `Open incidents (${open.length})`),
    open.length === 0 ? h("p", {}, "none open") :
      h("ul", {}, ...open.map((x) => h("li", { "data-incident": String(x.id) },
        h("b", {}, `#${x.id} hop ${x.hop} `), `(confidence ${x.confidence.toFixed(2)}): ${x.message} — since ${since(x.start)}; `,
        ...x.sites.flatMap((a, i) => [i > 0 ? ", " : "", h("a", { href: `#/site/${encodeURIComponent(a)}` }, a)])))));
}

// Which open incident each site is in.
function incidentOf(inc) {
  const m = new Map();
  for (const x of inc.incidents) if (x.open) for (const a of x.sites) m.set(a, String(x.id));
  return m;
}

export function nationView() {
  const st = { province: "", status: "", only3t: false, q: "" };
  let data = null;
  const counts = h("div", { class: "counts" });
  const mapbox = h("div", { class: "mapbox" });
  const table = h("div", {});
  const alerts = h("div", {});
  const incidents = h("div", {});
  const redraw = () => {
    if (!data) return;
    mapbox.replaceChildren(mapSvg(data, st), legend());
    table.replaceChildren(regionsTable(data, st));
  };
  const bar = filtersBar(st, redraw);
  const root = h("div", { id: "nation" }, h("h2", {}, "Indonesia"), counts, bar.el, mapbox,
    h("div", { class: "grid", style: "margin-top:1em" }, incidents, alerts), h("h2", {}, "Regencies"), table);
  async function refresh() {
    await loadOutline();
    const [ov, regions, sites, al, inc] = await Promise.all([getJSON("/api/v1/overview"),
      getJSON("/api/v1/regions"), getJSON("/api/v1/sites"), getJSON("/api/v1/alerts"),
      getJSON("/api/v1/incidents?open=1")]);
    data = { regions: regions.regions, sites: sites.sites, sitesOf: sitesByRegency(sites.sites),
      inIncident: incidentOf(inc) };
    counts.replaceChildren(...countsBar(ov.nation));
    const provs = ov.provinces.filter((p) => p.regencies > 0);
    if (bar.province.options.length !== provs.length + 1) {
      bar.province.replaceChildren(h("option", { value: "" }, "all provinces"),
        ...provs.map((p) => h("option", { value: p.code }, `${p.name} (${p.time_zone})`)));
      bar.province.value = st.province;
    }
    alerts.replaceChildren(alertsPanel(al));
    incidents.replaceChildren(incidentsPanel(inc));
    redraw();
  }
  return { root, refresh };
}
