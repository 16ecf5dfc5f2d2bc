// A province: its status and counts, the map zoomed to its sites, its
// regencies worst first, its firing alerts.
import { h, getJSON } from "./dom.js";
import { statusLabel } from "./status.js";
import { alertsPanel, countsBar, legend, loadOutline, mapSvg, regionsTable, sitesByRegency } from "./nation.js";

export function provinceView(code) {
  const root = h("div", { id: "province", "data-province": code });
  // the national filters, fixed to this province
  const st = { province: code, status: "", only3t: false, q: "" };
  async function refresh() {
    await loadOutline();
    const [ov, regions, sites, al] = await Promise.all([getJSON("/api/v1/overview"),
      getJSON(`/api/v1/regions?province=${encodeURIComponent(code)}`), getJSON("/api/v1/sites"),
      getJSON("/api/v1/alerts")]);
    const p = ov.provinces.find((x) => x.code === code) || { name: code, site_counts: {} };
    const mine = sites.sites.filter((x) => x.regency.startsWith(`${code}.`));
    const data = { regions: regions.regions, sites: mine, sitesOf: sitesByRegency(mine) };
    root.replaceChildren(h("nav", { class: "crumbs" }, h("a", { href: "#/" }, "Indonesia"), " › ", p.name),
      h("h2", {}, p.name, " ", statusLabel(p.status), p.at_risk ? h("span", { class: "badge" }, "AT RISK") : null),
      h("p", { class: "reason" }, p.reason || "", p.time_zone ? ` · ${p.time_zone}` : ""),
      h("div", { class: "counts" }, ...countsBar(p)),
      h("div", { class: "mapbox" }, mapSvg(data, st, mine), legend()),
      h("div", { class: "grid", style: "margin-top:1em" }, alertsPanel(al, (a) => a.province === code)),
      h("h2", {}, "Regencies"), regionsTable(data, st));
  }
  return { root, refresh };
}
