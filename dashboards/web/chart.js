// Line charts of a time range as inline SVG: time on x (now - span .. now),
// value on y from 0; a null value breaks the line. Lines differ by colour
// (Okabe-Ito) and by dash pattern, and the legend names them.
import { s } from "./dom.js";

const W = 400, H = 140, L = 38, R = 8, T = 8, B = 18;

// The time axis of each range: span and tick labels.
export const RANGES = {
  "1h": { span: 3600e3, label: "last hour", ticks: [60, 45, 30, 15, 0].map((m) => [m * 60e3, m ? `-${m} min` : "now"]) },
  "24h": { span: 86400e3, label: "last 24 hours", ticks: [24, 18, 12, 6, 0].map((h) => [h * 3600e3, h ? `-${h} h` : "now"]) },
  "7d": { span: 7 * 86400e3, label: "last 7 days", ticks: [7, 6, 5, 4, 3, 2, 1, 0].map((d) => [d * 86400e3, d ? `-${d} d` : "now"]) },
};
const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00"];

function ticks(max) {
  const step = Math.pow(10, Math.floor(Math.log10(max || 1)));
  const n = max / step > 5 ? step * 2 : step;
  const out = [];
  for (let v = 0; v <= max + 1e-9; v += n) out.push(v);
  return out;
}

// lines: [{name, points: [[ms, value|null], ...]}]; range: a key of RANGES;
// gap: a line breaks where two points are further apart (ms; 0: never).
export function lineChart(title, unit, lines, range = "1h", gap = 0, now = Date.now()) {
  const rg = RANGES[range] || RANGES["1h"];
  const t0 = now - rg.span;
  const vals = lines.flatMap((l) => l.points.filter((p) => p[0] >= t0).map((p) => p[1])).filter((v) => v !== null);
  const max = Math.max(1e-3, ...vals) * 1.1;
  const x = (t) => L + ((Math.min(t, now) - t0) / rg.span) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "data-range": range,
    "aria-label": `${title}, ${rg.label}, ${vals.length} values` });
  for (const v of ticks(max)) {
    svg.append(s("line", { class: "axis", x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      s("text", { x: L - 3, y: y(v) + 3, "text-anchor": "end" }, Number(v.toPrecision(3))));
  }
  for (const [ago, text] of rg.ticks) {
    svg.append(s("text", { x: x(now - ago), y: H - 4, "text-anchor": ago === 0 ? "end" : "middle" }, text));
  }
  svg.append(s("text", { x: L, y: T - 1 }, unit));
  lines.forEach((line, i) => {
    let seg = [];
    const flush = () => {
      if (seg.length > 1) svg.append(s("polyline", { class: `s${i % 5}`, points: seg.join(" ") }));
      seg = [];
    };
    let prev = -Infinity;
    for (const [t, v] of line.points) {
      if (v === null || t < t0) { flush(); continue; }
      if (gap > 0 && t - prev > gap) flush();
      prev = t;
      seg.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      svg.append(s("circle", { class: `pt s${i % 5}`, cx: x(t).toFixed(1), cy: y(v).toFixed(1), "data-t": t,
        r: 1.6, fill: "#fff", "stroke-width": 1 }, s("title", {}, `${line.name}: ${v} ${unit}`)));
    }
    flush();
  });
  const legend = lines.map((l, i) => s("tspan", { dx: 8, fill: PALETTE[i % 5] }, `${["—", "- -", "···", "-·-", "—"][i % 5]} ${l.name}`));
  svg.append(s("text", { x: W - R, y: T - 1, "text-anchor": "end" }, ...legend));
  return svg;
}
