// The SVG bar chart of the ratios (Map time / HashMap time), one bar per case,
// grouped in panels by key kind and size, on a log scale with a line at 1.0.
// Dependency-free: the SVG is built as a string. run.js calls ratiosSvg() and
// writes bench/results/ratios.svg; to redraw it from saved results:
//   node bench/chart.js [bench/results/latest.json] [bench/results/ratios.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CASE_LABELS, caseLabel, memoryLabel, sizeLabel } from './lib.js';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LO = -4; // log2 of the smallest ratio drawn (1/16); smaller ones are clamped, their value still written
const HI = 3; // log2 of the largest (8)
const LABEL_W = 180;
const PLOT_W = 280;
const VALUE_W = 56;
const PANEL_W = LABEL_W + PLOT_W + VALUE_W;
const GAP = 24;
const ROW_H = 17;
const HEAD_H = 22;
const AXIS_H = 24;
const FASTER = '#2e7d32';
const SLOWER = '#c62828';

function panel(x0, y0, title, bars) {
  const xOf = (r) => +(x0 + LABEL_W + ((Math.min(HI, Math.max(LO, Math.log2(r))) - LO) / (HI - LO)) * PLOT_W).toFixed(1);
  const x1 = xOf(1);
  const h = HEAD_H + bars.length * ROW_H + AXIS_H;
  const plotTop = y0 + HEAD_H;
  const plotBottom = plotTop + bars.length * ROW_H;
  const out = [`<g class="panel">`, `<text x="${x0}" y="${y0 + 15}" font-weight="bold" font-size="12">${esc(title)}</text>`];
  // Grid and ticks.
  for (let e = LO; e <= HI; e++) {
    const x = xOf(2 ** e);
    out.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 13}" text-anchor="middle" fill="#555">${e < 0 ? `1/${2 ** -e}` : 2 ** e}</text>`);
  }
  bars.forEach(({ label, ratio }, i) => {
    const y = plotTop + i * ROW_H;
    const xr = xOf(ratio);
    const clamped = Math.log2(ratio) < LO || Math.log2(ratio) > HI;
    out.push(`<text x="${x0 + LABEL_W - 6}" y="${y + 12}" text-anchor="end">${esc(label)}</text>`);
    out.push(
      `<rect x="${Math.min(x1, xr).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(xr - x1)).toFixed(1)}" height="${ROW_H - 6}" fill="${ratio >= 1 ? FASTER : SLOWER}"${clamped ? ' fill-opacity="0.6"' : ''}><title>${esc(`${label}: ${ratio.toFixed(2)}`)}</title></rect>`,
    );
    out.push(`<text x="${x0 + LABEL_W + PLOT_W + 8}" y="${y + 12}"${ratio >= 1 ? '' : ` fill="${SLOWER}"`}>${ratio.toFixed(2)}${clamped ? (ratio < 1 ? ' ◂' : ' ▸') : ''}</text>`);
  });
  out.push(`<line x1="${x1}" y1="${plotTop - 2}" x2="${x1}" y2="${plotBottom + 2}" stroke="#000" stroke-width="1.5"/>`);
  out.push(`</g>`);
  return [out.join('\n'), h];
}

/** The chart of one run's results (the object run.js writes to latest.json). */
export function ratiosSvg(data) {
  const rows = data.results ?? [];
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const caseOrder = Object.keys(CASE_LABELS);
  const parts = [];
  const top = 58;
  let y = top;
  let width = kinds.length * PANEL_W + (kinds.length - 1) * GAP + 2 * GAP;
  for (const n of sizes) {
    let rowH = 0;
    kinds.forEach((kind, c) => {
      const bars = rows
        .filter((r) => r.kind === kind && r.n === n)
        .sort((a, b) => caseOrder.indexOf(a.case) - caseOrder.indexOf(b.case))
        .map((r) => ({ label: caseLabel(kind, r.case), ratio: r.ratio }));
      if (bars.length === 0) return;
      const [svg, h] = panel(GAP + c * (PANEL_W + GAP), y, `${kind} keys, ${sizeLabel(n)} entries`, bars);
      parts.push(svg);
      rowH = Math.max(rowH, h);
    });
    y += rowH + 10;
  }
  const mem = data.memory?.kinds;
  if (mem && Object.keys(mem).length > 0) {
    const bars = Object.entries(mem).map(([kind, m]) => ({ label: `${memoryLabel(kind, m)} (HashMap ${m.ratio.toFixed(2)}x)`, ratio: m.map / m.hashMap }));
    const [svg, h] = panel(GAP, y, "memory per entry (RSS, 1.0-1.9e6 entries): Map's bytes / HashMap's", bars);
    parts.push(svg);
    y += h + 10;
  }
  const it = data.iteration?.rows;
  if (it && it.length > 0) {
    const [svg, h] = panel(
      GAP,
      y,
      'iteration (int32 unless said)',
      it.map((r) => ({ label: r.case.replace(/ \(Map: .*\)/, '').replace('for...of', 'for…of'), ratio: r.ratio })),
    );
    parts.push(svg);
    y += h + 10;
  }
  width = Math.max(width, PANEL_W + 2 * GAP);
  const height = y + 8;
  const m = data.machine ?? {};
  const sub = `${m.cpu ?? '?'}, ${m.cores ?? '?'} cores, Node ${m.node ?? '?'}; ${String(data.date ?? '').slice(0, 10)}, ${data.mode ?? ''} run, medians. Bars right of 1.0 (green): HashMap faster; left (red): Map faster.`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${GAP}" y="24" font-size="15" font-weight="bold">tophash HashMap vs native Map: Map time / HashMap time (log scale)</text>`,
    `<text x="${GAP}" y="42" fill="#444">${esc(sub)}</text>`,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const inPath = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url));
  const outPath = process.argv[3] ?? fileURLToPath(new URL('./results/ratios.svg', import.meta.url));
  writeFileSync(outPath, ratiosSvg(JSON.parse(readFileSync(inPath, 'utf8'))));
  console.log(`wrote ${outPath}`);
}
