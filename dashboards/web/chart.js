// Line charts of the last hour as inline SVG: time on x (now - 1 h .. now),
// value on y from 0; a null value breaks the line.
import { s } from "./dom.js";

const W = 400, H = 140, L = 38, R = 8, T = 8, B = 18;

function ticks(max) {
  const step = Math.pow(10, Math.floor(Math.log10(max || 1)));
  const n = max / step > 5 ? step * 2 : step;
  const out = [];
  for (let v = 0; v <= max + 1e-9; v += n) out.push(v);
  return out;
}

// lines: [{name, points: [[ms, value|null], ...]}]
export function lineChart(title, unit, lines, now = Date.now()) {
  const t0 = now - 3600e3;
  const vals = lines.flatMap((l) => l.points.map((p) => p[1])).filter((v) => v !== null);
  const max = Math.max(1e-3, ...vals) * 1.1;
  const x = (t) => L + ((t - t0) / 3600e3) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${title}, last hour, ${vals.length} values` });
  for (const v of ticks(max)) {
    svg.append(s("line", { class: "axis", x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      s("text", { x: L - 3, y: y(v) + 3, "text-anchor": "end" }, Number(v.toPrecision(3))));
  }
  for (const m of [60, 45, 30, 15, 0]) {
    svg.append(s("text", { x: x(now - m * 60e3), y: H - 4, "text-anchor": "middle" },
      m === 0 ? "now" : `-${m} min`));
  }
  svg.append(s("text", { x: L, y: T - 1 }, unit));
  lines.forEach((line, i) => {
    let seg = [];
    const flush = () => {
      if (seg.length > 1) svg.append(s("polyline", { class: `s${i % 4}`, points: seg.join(" ") }));
      seg = [];
    };
    for (const [t, v] of line.points) {
      if (v === null || t < t0) { flush(); continue; }
      seg.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      svg.append(s("circle", { class: `pt s${i % 4}`, cx: x(t).toFixed(1), cy: y(v).toFixed(1),
        r: 1.6, fill: "#fff", "stroke-width": 1 }, s("title", {}, `${line.name}: ${v} ${unit}`)));
    }
    flush();
  });
  const palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"];
  const legend = lines.map((l, i) => s("tspan", { dx: 8, fill: palette[i % 4] }, `— ${l.name}`));
  svg.append(s("text", { x: W - R, y: T - 1, "text-anchor": "end" }, ...legend));
  return svg;
}
