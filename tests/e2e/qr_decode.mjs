// Decode a QR code given as a module matrix (tests/e2e/test_enrol.py):
// stdin is JSON {"rows": ["0101...", ...]} with 1 for a dark module, quiet
// zone included; stdout is the decoded text, or nothing and exit 1.
import jsQR from "jsqr";

const SCALE = 4;
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const rows = JSON.parse(input).rows;
  const side = rows.length * SCALE;
  const pixels = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dark = rows[Math.floor(y / SCALE)][Math.floor(x / SCALE)] === "1";
      const i = (y * side + x) * 4;
      pixels[i] = pixels[i + 1] = pixels[i + 2] = dark ? 0 : 255;
      pixels[i + 3] = 255;
    }
  }
  const code = jsQR(pixels, side, side);
  if (code === null) {
    process.exit(1);
  }
  process.stdout.write(code.data);
});
