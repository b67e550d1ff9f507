const SVG = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const COLORS = ['#3d6df2', '#e0692c', '#2a9d6f', '#b0359b', '#c9a227', '#5b6b86', '#d43d51', '#1f8fb0'];

export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
}

/** Inline SVG line chart: one line per series over time (x in ms), with its legend. */
export function lineChart(series: Series[], opts: { width?: number; height?: number; label: string }): SVGElement {
  const w = opts.width ?? 520;
  const hgt = opts.height ?? 200;
  const pad = { l: 40, r: 10, t: 10, b: 44 };
  const all = series.flatMap((s) => s.points);
  const svg = el('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': opts.label, 'data-chart': 'line' });
  if (!all.length) return svg;
  const minX = Math.min(...all.map((p) => p.x));
  const maxX = Math.max(...all.map((p) => p.x));
  const maxY = Math.max(1, ...all.map((p) => p.y));
  const sx = (x: number) => pad.l + (maxX === minX ? (w - pad.l - pad.r) / 2 : ((x - minX) / (maxX - minX)) * (w - pad.l - pad.r));
  const sy = (y: number) => hgt - pad.b - (y / maxY) * (hgt - pad.t - pad.b);
  svg.append(el('line', { x1: pad.l, y1: sy(0), x2: w - pad.r, y2: sy(0), stroke: '#c8ced9' }));
  svg.append(el('text', { x: 2, y: sy(maxY) + 4 }, String(maxY)), el('text', { x: 2, y: sy(0) }, '0'));
  svg.append(el('text', { x: pad.l, y: hgt - pad.b + 12 }, new Date(minX).toISOString().slice(0, 10)));
  if (maxX !== minX) svg.append(el('text', { x: w - pad.r - 60, y: hgt - pad.b + 12 }, new Date(maxX).toISOString().slice(0, 10)));
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1) svg.append(el('polyline', { points: pts.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' '), fill: 'none', stroke: c, 'stroke-width': 2 }));
    for (const p of pts) svg.append(el('circle', { cx: sx(p.x), cy: sy(p.y), r: 3, fill: c }, undefined));
    svg.append(el('rect', { x: pad.l + (i % 3) * 160, y: hgt - 26 + Math.floor(i / 3) * 12, width: 8, height: 8, fill: c }));
    svg.append(el('text', { x: pad.l + 12 + (i % 3) * 160, y: hgt - 19 + Math.floor(i / 3) * 12 }, s.name.slice(0, 24)));
  });
  return svg;
}

/** Inline SVG horizontal bar chart: groups of bars (e.g. exposed vs control) per row. */
export function barChart(rows: Array<{ label: string; bars: Array<{ name: string; value: number | null }> }>, opts: { width?: number; label: string; format: (v: number) => string }): SVGElement {
  const w = opts.width ?? 520;
  const barH = 12;
  const names = [...new Set(rows.flatMap((r) => r.bars.map((b) => b.name)))];
  const rowH = names.length * (barH + 2) + 10;
  const hgt = rows.length * rowH + 20;
  const left = 110;
  const max = Math.max(1e-9, ...rows.flatMap((r) => r.bars.map((b) => b.value ?? 0)));
  const svg = el('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': opts.label, 'data-chart': 'bar' });
  rows.forEach((r, i) => {
    const y0 = i * rowH;
    svg.append(el('text', { x: 0, y: y0 + barH }, r.label.slice(0, 18)));
    r.bars.forEach((b) => {
      const j = names.indexOf(b.name);
      const y = y0 + j * (barH + 2);
      const len = b.value === null ? 0 : (b.value / max) * (w - left - 80);
      svg.append(el('rect', { x: left, y, width: Math.max(len, 1), height: barH, fill: COLORS[j % COLORS.length] }));
      svg.append(el('text', { x: left + len + 4, y: y + barH - 2 }, b.value === null ? 'n/a' : opts.format(b.value)));
    });
  });
  names.forEach((n, j) => {
    svg.append(el('rect', { x: left + j * 110, y: hgt - 12, width: 8, height: 8, fill: COLORS[j % COLORS.length] }));
    svg.append(el('text', { x: left + 12 + j * 110, y: hgt - 4 }, n));
  });
  return svg;
}
