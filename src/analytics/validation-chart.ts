import type { ValidationReport } from './validate';
import { modelName } from './validate';

/**
 * The classic calibration/holdout chart (FHL 2005, fig. 3): mean repeat transactions in the holdout per
 * number of repeat transactions in calibration (0 … 7+), actual against predicted, as a standalone SVG.
 */
export function validationChartSvg(r: ValidationReport): string {
  const W = 720;
  const H = 440;
  const m = { l: 70, r: 24, t: 56, b: 70 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const buckets = r.comparison.buckets.filter((b) => b.customers > 0);
  const mean = (v: number, n: number) => v / n;
  const ymaxRaw = Math.max(...buckets.flatMap((b) => [mean(b.actual, b.customers), mean(b.predicted, b.customers)]), 0.1);
  const step = niceStep(ymaxRaw / 5);
  const ymax = Math.ceil(ymaxRaw / step) * step;
  const xs = (i: number) => m.l + (pw * (i + 0.5)) / r.comparison.buckets.length;
  const ys = (v: number) => m.t + ph - (ph * v) / ymax;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const path = (k: 'actual' | 'predicted') => buckets.map((b, i) => `${i ? 'L' : 'M'}${xs(b.x).toFixed(1)},${ys(mean(b[k], b.customers)).toFixed(1)}`).join(' ');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">Conditional expectations: holdout vs calibration (${esc(modelName(r.chosen.model))})</text>`);
  out.push(`<text x="${W / 2}" y="43" text-anchor="middle" fill="#555">${r.customers} customers; ${r.holdoutWeeks.toFixed(0)}-week holdout; churn AUC ${r.comparison.churnAuc.toFixed(3)} (recency ${r.comparison.recencyAuc.toFixed(3)})</text>`);
  for (let v = 0; v <= ymax + 1e-9; v += step) {
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${ys(v).toFixed(1)}" y2="${ys(v).toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${m.l - 8}" y="${(ys(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${+v.toFixed(2)}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
  for (const b of r.comparison.buckets) {
    out.push(`<text x="${xs(b.x).toFixed(1)}" y="${m.t + ph + 20}" text-anchor="middle" fill="#333">${b.label}</text>`);
    out.push(`<text x="${xs(b.x).toFixed(1)}" y="${m.t + ph + 36}" text-anchor="middle" fill="#888" font-size="11">n=${b.customers}</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">Repeat transactions in the calibration period</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">Mean repeat transactions in the holdout</text>`);
  out.push(`<path d="${path('actual')}" fill="none" stroke="#1f5fa8" stroke-width="2.5"/>`);
  out.push(`<path d="${path('predicted')}" fill="none" stroke="#d1621b" stroke-width="2.5" stroke-dasharray="7 5"/>`);
  for (const b of buckets) {
    out.push(`<circle cx="${xs(b.x).toFixed(1)}" cy="${ys(mean(b.actual, b.customers)).toFixed(1)}" r="4" fill="#1f5fa8"/>`);
    out.push(`<rect x="${(xs(b.x) - 4).toFixed(1)}" y="${(ys(mean(b.predicted, b.customers)) - 4).toFixed(1)}" width="8" height="8" fill="#d1621b"/>`);
  }
  const lx = m.l + 16;
  const ly = m.t + 12;
  out.push(`<rect x="${lx - 8}" y="${ly - 14}" width="150" height="50" fill="#fff" stroke="#ccc"/>`);
  out.push(`<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="#1f5fa8" stroke-width="2.5"/><text x="${lx + 38}" y="${ly + 4}">Actual</text>`);
  out.push(`<line x1="${lx}" x2="${lx + 30}" y1="${ly + 22}" y2="${ly + 22}" stroke="#d1621b" stroke-width="2.5" stroke-dasharray="7 5"/><text x="${lx + 38}" y="${ly + 26}">${esc(modelName(r.chosen.model))}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}
