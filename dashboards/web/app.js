// pantau's web dashboard: national view, regency, site (docs/dashboard.md).
// Hash routes: #/ (nation), #/province/PP, #/regency/PP.RR, #/site/AGENT. Every view polls
// the collector's JSON API every POLL_MS and redraws its data in place.
import { h, getJSON, since } from "./dom.js";
import { nationView } from "./nation.js";
import { regencyView, siteView } from "./detail.js";
import { provinceView } from "./province.js";
import { showLogin, signOutLink } from "./login.js";

const POLL_MS = 5000;
const app = { view: null, busy: false, again: false, timer: null };

function route() {
  const [, kind, arg] = (location.hash || "#/").split("/");
  const key = decodeURIComponent(arg || "");
  if (kind === "province" && key) return provinceView(key);
  if (kind === "regency" && key) return regencyView(key);
  if (kind === "site" && key) return siteView(key);
  return nationView();
}

function clocks(overview) {
  const el = document.getElementById("clocks");
  const zones = (overview && overview.counting && overview.counting.zones) || {};
  el.replaceChildren(...["WIB", "WITA", "WIT"].filter((z) => zones[z]).map((z) =>
    h("span", { "data-zone": z }, `${z} ${zones[z].local_time.slice(11, 16)}`)));
  const banner = document.getElementById("banner");
  const c = overview && overview.counting;
  if (c && c.active) {
    const active = Object.entries(c.zones).filter(([, v]) => v.active).map(([z]) => z);
    banner.textContent = `Vote counting in progress (${active.join(", ")}): ` +
      ["WIB", "WITA", "WIT"].filter((z) => c.zones[z])
        .map((z) => `${z} ${c.zones[z].local_time.slice(11, 16)}`).join(" · ");
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

async function refresh() {
  if (!app.view) return;
  if (app.busy) { app.again = true; return; }
  app.busy = true;
  const err = document.getElementById("error");
  try {
    const [overview] = await Promise.all([getJSON("/api/v1/overview"), app.view.refresh()]);
    clocks(overview);
    err.hidden = true;
    const up = document.getElementById("updated");
    up.textContent = `updated ${since(new Date().toISOString())}`;
    up.dataset.polls = String(Number(up.dataset.polls || 0) + 1);
    signOutLink();
  } catch (e) {
    if (e.status === 401) {
      err.hidden = true;
      if (document.getElementById("login").hidden) showLogin(e.reason);
      return;
    }
    err.textContent = `Cannot read the collector (${e.message}); retrying every ${POLL_MS / 1000} s.`;
    err.hidden = false;
  } finally {
    app.busy = false;
    if (app.again) { app.again = false; refresh(); }
  }
}

function show() {
  app.view = route();
  document.getElementById("view").replaceChildren(app.view.root);
  window.scrollTo(0, 0);
  refresh();
}

window.addEventListener("hashchange", show);
window.addEventListener("pantau:refresh", () => refresh());
show();
app.timer = setInterval(refresh, POLL_MS);
