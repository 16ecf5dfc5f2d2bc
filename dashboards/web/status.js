// Status symbols: every status has its own colour (Okabe-Ito palette,
// readable with colour-blindness) AND its own shape and label, so nothing
// depends on colour alone.
import { s } from "./dom.js";

export const STATUSES = ["OFFLINE", "CRITICAL", "DEGRADED", "UNKNOWN", "OK"];
export const COLOR = { OK: "#009e73", DEGRADED: "#e69f00", CRITICAL: "#d55e00",
  OFFLINE: "#222222", UNKNOWN: "#999999" };
export const SHAPE = { OK: "circle", DEGRADED: "triangle", CRITICAL: "square",
  OFFLINE: "cross", UNKNOWN: "diamond" };

function points(status, x, y, r) {
  const f = (pts) => pts.map(([a, b]) => `${(x + a * r).toFixed(1)},${(y + b * r).toFixed(1)}`).join(" ");
  switch (SHAPE[status]) {
    case "triangle": return f([[0, -1.2], [1.1, 0.8], [-1.1, 0.8]]);
    case "square": return f([[-0.9, -0.9], [0.9, -0.9], [0.9, 0.9], [-0.9, 0.9]]);
    case "diamond": return f([[0, -1.2], [1.2, 0], [0, 1.2], [-1.2, 0]]);
    case "cross": {
      const a = 0.35, b = 1;
      return f([[-b, -b + a], [-b + a, -b], [0, -a], [b - a, -b], [b, -b + a], [a, 0],
        [b, b - a], [b - a, b], [0, a], [-b + a, b], [-b, b - a], [-a, 0]]);
    }
    default: return null;
  }
}

// An SVG symbol of a status centred on (x, y), radius r.
export function marker(status, x, y, r, attrs = {}) {
  const st = COLOR[status] ? status : "UNKNOWN";
  const common = { fill: COLOR[st], stroke: "#fff", "stroke-width": r / 4, "data-shape": SHAPE[st], ...attrs };
  const p = points(st, x, y, r);
  return p === null ? s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r, ...common })
    : s("polygon", { points: p, ...common });
}

// A status as symbol + word, for tables and legends.
export function statusLabel(status) {
  const span = document.createElement("span");
  span.className = "status";
  span.style.color = COLOR[status] || COLOR.UNKNOWN;
  const svg = s("svg", { width: 12, height: 12, viewBox: "0 0 12 12", "aria-hidden": "true" },
    marker(status, 6, 6, 5));
  span.append(svg, status);
  return span;
}
