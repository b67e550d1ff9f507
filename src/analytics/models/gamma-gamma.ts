/**
 * Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value
 * Curves for Customer Base Analysis", JMR 42(4):415–430, and Fader & Hardie (2013), "The Gamma-Gamma
 * Model of Monetary Value" (cited as FH13).
 *
 * Per customer: x = number of REPEAT transactions (> 0 — the model describes the spread of the average,
 * so a customer needs at least one repeat transaction to contribute) and m_x = their average value.
 * Model: a customer's transaction values are Gamma(shape p, rate ν); across customers ν ~ Gamma(shape q,
 * rate v). The model assumes spend is independent of the purchase process (check: the correlation of
 * x and m_x should be small).
 *
 * Money unit: any, as long as m_x and the fitted v share it — v carries the unit (it is a rate scale
 * on money), p and q are dimensionless, and expected spend comes back in the unit of m_x. Rapport
 * passes currency MINOR units (cents), so its v is 100× the v of a fit in major units; CDNOW's published
 * p=6.25, q=3.74, v=15.44 are in dollars.
 */
import { abs, exp, log, log1p, checkColumns, FitOptions, FitResult, indexDistinct, LOG_BOUND, NumArray } from './common';
import { bfgs } from './optimize';
import { digammaDiff, logGamma, logGammaDiff } from './special';

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

export interface GammaGammaData {
  /** Repeat transactions, > 0. */
  x: NumArray;
  /** Average value of those transactions, > 0. */
  mx: NumArray;
  weights?: NumArray;
}

/**
 * ln f(m_x | p, q, v, x), the marginal density of FH13:
 *   f = Γ(px+q) / (Γ(px) Γ(q)) · v^q m_x^{px−1} x^{px} / (v + x m_x)^{px+q}.
 * The sum of x Gamma(p, ν) values is Gamma(px, ν), so their mean is Gamma(px, xν); mixing ν over
 * Gamma(q, v) gives this closed form. Evaluated as
 *   [ln Γ(px+q) − ln Γ(q)] − ln Γ(px) + px ln(x/v) + (px−1) ln m_x − (px+q) log1p(x m_x / v),
 * which is the same number but stays accurate when a fit drifts to huge q and v (q ln v and
 * (px+q) ln(v + x m_x) would otherwise cancel to ~1e−8).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, mx: number): number {
  const { p, q, v } = params;
  const px = p * x;
  return logGammaDiff(q, px) - logGamma(px) + px * log(x / v) + (px - 1) * log(mx) - (px + q) * log1p((x * mx) / v);
}

interface Prepared {
  xs: Float64Array;
  xi: Uint32Array;
  logMx: Float64Array;
  mx: Float64Array;
  w: Float64Array;
  total: number;
}

function prepare(data: GammaGammaData): Prepared {
  const { w, total } = checkColumns('Gamma-Gamma data', { x: data.x, mx: data.mx }, data.weights);
  const mx = Float64Array.from(data.mx);
  for (let i = 0; i < w.length; i++) {
    if (!(data.x[i] > 0) || !Number.isFinite(data.x[i]) || !(mx[i] > 0) || !Number.isFinite(mx[i])) {
      throw new RangeError(`Gamma-Gamma data row ${i}: need x > 0 and m_x > 0, got x=${data.x[i]}, m_x=${mx[i]} (filter out one-time buyers)`);
    }
  }
  const x = indexDistinct(data.x);
  return { xs: x.values, xi: x.index, logMx: mx.map(Math.log), mx, w, total };
}

function totalLogLikelihood(params: GammaGammaParams, d: Prepared): number {
  const { p, q, v } = params;
  const nx = d.xs.length;
  const gx = new Float64Array(nx);
  for (let k = 0; k < nx; k++) {
    const px = p * d.xs[k];
    gx[k] = logGammaDiff(q, px) - logGamma(px) + px * log(d.xs[k] / v);
  }
  let sum = 0;
  for (let i = 0; i < d.w.length; i++) {
    const k = d.xi[i];
    const x = d.xs[k];
    const px = p * x;
    sum += d.w[i] * (gx[k] + (px - 1) * d.logMx[i] - (px + q) * log1p((x * d.mx[i]) / v));
  }
  return sum;
}

/**
 * Σ w_i ln f_i and its gradient with respect to (ln p, ln q, ln v). Per row, with px = p·x and
 * L = log1p(x m_x / v):
 *   ∂/∂p = x [ψ(px+q) − ψ(px) + ln(x/v) + ln m_x − L],  ∂/∂q = ψ(px+q) − ψ(q) − L,
 *   ∂/∂v = (−px + (px+q) · x m_x/(v + x m_x)) / v,
 * the digamma differences once per distinct x.
 */
function totalLogLikelihoodGradient(params: GammaGammaParams, d: Prepared): [number, number[]] {
  const { p, q, v } = params;
  const nx = d.xs.length;
  const gx = new Float64Array(nx);
  const dp = new Float64Array(nx);
  const dq = new Float64Array(nx);
  for (let k = 0; k < nx; k++) {
    const x = d.xs[k];
    const px = p * x;
    const lxv = log(x / v);
    gx[k] = logGammaDiff(q, px) - logGamma(px) + px * lxv;
    dp[k] = digammaDiff(px, q) + lxv;
    dq[k] = digammaDiff(q, px);
  }
  let sum = 0;
  let gp = 0;
  let gq = 0;
  let gv = 0;
  for (let i = 0; i < d.w.length; i++) {
    const w = d.w[i];
    if (w === 0) continue;
    const k = d.xi[i];
    const x = d.xs[k];
    const px = p * x;
    const xm = x * d.mx[i];
    const L = log1p(xm / v);
    sum += w * (gx[k] + (px - 1) * d.logMx[i] - (px + q) * L);
    gp += w * x * (dp[k] + d.logMx[i] - L);
    gq += w * (dq[k] - L);
    gv += w * (-px + ((px + q) * xm) / (v + xm));
  }
  return [sum, [p * gp, q * gq, gv]];
}

/** Σ_i w_i · ln f_i and its gradient with respect to (ln p, ln q, ln v). */
export function gammaGammaTotalLogLikelihoodGradient(params: GammaGammaParams, data: GammaGammaData): [number, number[]] {
  return totalLogLikelihoodGradient(params, prepare(data));
}

/** Σ_i w_i · ln f_i over a data set (w_i = 1 when no weights). */
export function gammaGammaTotalLogLikelihood(params: GammaGammaParams, data: GammaGammaData): number {
  return totalLogLikelihood(params, prepare(data));
}

/**
 * Maximum-likelihood fit of (p, q, v) by BFGS with the analytic gradient, searched over log-parameters like the BG/NBD fit (positivity,
 * and v's scale depends on the money unit). q ≤ 1 is admissible in the likelihood — it means a
 * heavy-tailed population of spend levels with infinite mean — so it is not excluded; see
 * `gammaGammaExpectedSpend` for what it implies.
 */
export function fitGammaGamma(data: GammaGammaData, opts: FitOptions<GammaGammaParams> = {}): FitResult<GammaGammaParams> {
  const d = prepare(data);
  let sumM = 0;
  for (let i = 0; i < d.w.length; i++) sumM += d.w[i] * d.mx[i];
  const penalizer = opts.penalizer ?? 0;
  // Start where the population mean spend p·v/(q−1) equals the observed mean.
  const p0 = opts.initial?.p ?? 1;
  const q0 = opts.initial?.q ?? 2;
  const start = [p0, q0, opts.initial?.v ?? ((q0 - 1) * (sumM / d.total)) / p0].map(Math.log);
  const toParams = (th: number[]): GammaGammaParams => ({ p: exp(th[0]), q: exp(th[1]), v: exp(th[2]) });
  const objective = (th: number[]): [number, number[]] => {
    if (th.some((v) => abs(v) > LOG_BOUND)) return [Infinity, th.map(() => NaN)];
    const p = toParams(th);
    const [ll, grad] = totalLogLikelihoodGradient(p, d);
    const theta = [p.p, p.q, p.v];
    const penalty = penalizer * theta.reduce((acc, u) => acc + u * u, 0);
    return [-ll / d.total + penalty, grad.map((gi, i) => -gi / d.total + 2 * penalizer * theta[i] * theta[i])];
  };
  const res = bfgs(objective, start, { maxIterations: opts.maxIterations, maxRestarts: opts.maxRestarts });
  const params = toParams(res.x);
  return {
    params,
    logLikelihood: totalLogLikelihood(params, d),
    iterations: res.iterations,
    evaluations: res.evaluations,
    restarts: res.restarts,
    converged: res.converged,
  };
}

/**
 * E[M | p, q, v, x, m_x] = p (v + x m_x) / (p x + q − 1), FH13 (also FHL's iso-value paper).
 * Why: the posterior of ν is Gamma(px+q, v + x m_x), and E[value | ν] = p/ν, so the answer is
 * p · E[1/ν | data], a weighted average of the population mean p v/(q−1) and the customer's own m_x,
 * with weight on m_x growing with x.
 * x = 0 (no repeat transaction yet) gives the population mean p v/(q−1) — m_x is then ignored.
 * When p x + q ≤ 1 the posterior mean of 1/ν is infinite (q ≤ 1 makes the population mean infinite),
 * so the result is +Infinity; callers that need a finite figure must check q > 1 (as the recompute does).
 */
export function gammaGammaExpectedSpend(params: GammaGammaParams, x: number, mx: number): number {
  const { p, q, v } = params;
  const den = p * x + q - 1;
  if (!(den > 0)) return Infinity;
  return (p * (v + (x > 0 ? x * mx : 0))) / den;
}
