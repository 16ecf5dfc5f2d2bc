// Build step of the web dashboard (Makefile): Indonesia's outline from the
// npm package world-atlas (Natural Earth, 1:50m), decoded with
// topojson-client and projected equirectangularly over lon 94..142,
// lat -11..6 into one SVG path. The browser gets a small JSON file and no
// TopoJSON decoder.
//
// Usage: node deploy/web-outline.mjs OUT.json
import { readFileSync, writeFileSync } from "node:fs";
import { feature } from "topojson-client";

const box = { lon0: 94, lon1: 142, lat0: -11, lat1: 6, width: 960 };
const scale = box.width / (box.lon1 - box.lon0);
const height = Math.round((box.lat1 - box.lat0) * scale);
const atlas = JSON.parse(readFileSync("node_modules/world-atlas/countries-50m.json", "utf8"));
const geo = atlas.objects.countries.geometries.filter((g) => String(g.id) === "360");
if (geo.length !== 1) {
  console.error("web-outline: world-atlas has no country 360 (Indonesia); run 'make deps'");
  process.exit(1);
}
const shape = feature(atlas, geo[0]);
const polys = shape.geometry.type === "Polygon" ? [shape.geometry.coordinates]
  : shape.geometry.coordinates;
const pt = ([lon, lat]) =>
  `${((lon - box.lon0) * scale).toFixed(1)},${((box.lat1 - lat) * scale).toFixed(1)}`;
const d = polys.map((poly) => poly.map((ring) => "M" + ring.map(pt).join("L") + "Z").join(""))
  .join("");
writeFileSync(process.argv[2], JSON.stringify({ ...box, height, scale, outline: d }));
