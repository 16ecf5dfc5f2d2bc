// Small DOM helpers: elements from (tag, attributes, children); text is
// always set as text, never parsed as HTML.
const SVG_NS = "http://www.w3.org/2000/svg";

function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export const h = (tag, attrs, ...kids) => fill(document.createElement(tag), attrs, kids);
export const s = (tag, attrs, ...kids) => fill(document.createElementNS(SVG_NS, tag), attrs, kids);

// The API token of this tab (login.js), sent as "Authorization: Bearer".
const TOKEN_KEY = "pantau.token";
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// A 401 is an Error with .status 401: the app shows the login (login.js).
export async function getJSON(path) {
  const t = path.startsWith("/api/") ? token.get() : null;
  const r = await fetch(path, { cache: "no-store",
    headers: t ? { Authorization: `Bearer ${t}` } : {} });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = new Error(`${path}: ${r.status} ${body.error || r.statusText}`);
    e.status = r.status;
    e.reason = body.error || r.statusText;
    throw e;
  }
  return body;
}

export function num(v, digits = 1) {
  return v === null || v === undefined ? "–" : Number(v).toFixed(digits);
}

// "13:05 UTC (12 min ago)" from an ISO time; "–" for null.
export function since(iso, now = Date.now()) {
  if (!iso) return "–";
  const t = Date.parse(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  const ago = s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  return `${new Date(t).toISOString().slice(11, 16)} UTC (${ago} ago)`;
}
