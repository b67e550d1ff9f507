/**
 * The fitting machinery of src/analytics/models on small inputs: maximum-likelihood fits on a
 * 600-customer simulated sample (milliseconds each) checked as maxima of the likelihood, the documented
 * start points and budgets, Nelder–Mead on functions with known minima, the numerical Hessian on a cubic
 * (where central differences are exact), standard errors of a known quadratic, the model choice and
 * holdout comparison, AUC, and the seeded simulation's moments. The mutation scopes models-bgnbd and
 * models-fit run this file for every mutant; the minute-long recovery studies stay in clv-models and
 * purchase-models.
 *
 * Statistical bounds are 5 standard errors of the estimate (false-failure odds ~6e−7 each, and the
 * seeds are fixed); numerical ones are justified where they appear.
 */
import {
  auc,
  betaGeoTotalLogLikelihoodGradient,
  bfgs,
  type BfgsResult,
  gammaGammaTotalLogLikelihoodGradient,
  betaGeoExpectedPurchases,
  betaGeoProbabilityNoPurchase,
  betaGeoStandardErrors,
  betaGeoTotalLogLikelihood,
  BgNbdParams,
  bgNbdTotalLogLikelihood,
  chooseBetaGeoModel,
  compareHoldout,
  fitBetaGeo,
  fitBgNbd,
  fitGammaGamma,
  gammaGammaTotalLogLikelihood,
  hessian,
  invert,
  relativeError,
  rng,
  simulateCustomers,
  type SimulatedCustomer,
  standardErrors,
  TOP_BUCKET,
} from '../../src/analytics/models';
import { CDNOW_GG, relErr, SETS } from './model-parameters';

const { abs, log, sqrt } = Math;

// ---------------------------------------------------------------------------------------------
/**
 * A small calibration/holdout sample (600 customers, fixed seed): fits on it take milliseconds. Made in
 * each test that uses it rather than at module load, so that mutation testing sees which tests run it.
 */
function small() {
  const cs = simulateCustomers({ model: 'bgnbd', params: SETS.P2, customers: 600, seed: 11, spend: { p: 6, q: 4, v: 15 } });
  return {
    cs,
    cal: { x: cs.map((c) => c.x), tx: cs.map((c) => c.tx), T: cs.map((c) => c.T) },
    full: { x: cs.map((c) => c.xFull), tx: cs.map((c) => c.txFull), T: cs.map((c) => c.TFull) },
  };
}

/** Largest increase of f over ±rel relative steps of each parameter: ≤ 0 (to rounding) at a maximum. */
function bestNeighbourGain<P extends object>(f: (p: P) => number, p: P, rel = 1e-3): number {
  const f0 = f(p);
  let gain = -Infinity;
  for (const k of Object.keys(p) as Array<keyof P>) {
    for (const s of [1 - rel, 1 + rel]) gain = Math.max(gain, f({ ...p, [k]: (p[k] as unknown as number) * s }) - f0);
  }
  return gain;
}

describe('maximum-likelihood fits on a small sample', () => {
  it('BG/NBD and MBG/NBD: the fit is the likelihood maximum and reports its own log-likelihood', () => {
    const SMALL_DATA = small().cal;
    for (const model of ['bgnbd', 'mbgnbd'] as const) {
      const fit = fitBetaGeo(model, SMALL_DATA);
      expect(fit.converged).toBe(true);
      expect(fit.restarts).toBeGreaterThanOrEqual(1);
      expect(fit.iterations).toBeGreaterThan(0);
      expect(fit.evaluations).toBeGreaterThan(fit.iterations);
      expect(fit.logLikelihood).toBe(betaGeoTotalLogLikelihood(model, fit.params, SMALL_DATA));
      // A relative step of 1e−3 in any parameter must not raise the likelihood (beyond rounding, 1e−9 of ln L).
      expect(bestNeighbourGain((p: BgNbdParams) => betaGeoTotalLogLikelihood(model, p, SMALL_DATA), fit.params)).toBeLessThan(1e-9 * abs(fit.logLikelihood));
      // And it is at least as likely as the generating parameters.
      expect(fit.logLikelihood).toBeGreaterThanOrEqual(betaGeoTotalLogLikelihood(model, SETS.P2, SMALL_DATA));
    }
    expect(fitBgNbd(SMALL_DATA).params).toEqual(fitBetaGeo('bgnbd', SMALL_DATA).params);
  });

  it('the L2 penalizer: the fit minimises −ln L / n + λ Σθ², and shrinks the parameters', () => {
    const SMALL_DATA = small().cal;
    const n = SMALL_DATA.x.length;
    const lambda = 0.01;
    const fit = fitBgNbd(SMALL_DATA, { penalizer: lambda, initial: SETS.P2 });
    const objective = (p: BgNbdParams): number => -(-bgNbdTotalLogLikelihood(p, SMALL_DATA) / n + lambda * (p.r ** 2 + p.alpha ** 2 + p.a ** 2 + p.b ** 2));
    expect(bestNeighbourGain(objective, fit.params)).toBeLessThan(1e-11);
    const plain = fitBgNbd(SMALL_DATA, { initial: SETS.P2 });
    expect(fit.params.alpha).toBeLessThan(plain.params.alpha);
    expect(fit.logLikelihood).toBe(bgNbdTotalLogLikelihood(fit.params, SMALL_DATA));
  });

  it('starts where documented: r = 1, α = r·ΣT/Σx (clamped to [1e−3, 1e6]), a = b = 1; p = 1, q = 2, v = (q−1)·mean(m)/p', () => {
    // The optimiser is deterministic: the same start gives the same path, evaluation for evaluation.
    const { cal, cs } = small();
    const sumT = cal.T.reduce((s, v) => s + v, 0);
    const sumX = cal.x.reduce((s, v) => s + v, 0);
    const budget = { maxIterations: 60, maxRestarts: 0 };
    const dflt = fitBgNbd(cal, budget);
    expect(dflt).toEqual(fitBgNbd(cal, { ...budget, initial: { r: 1, alpha: sumT / sumX, a: 1, b: 1 } }));
    expect(fitBetaGeo('mbgnbd', cal, budget)).toEqual(fitBetaGeo('mbgnbd', cal, { ...budget, initial: { r: 1, alpha: sumT / sumX, a: 1, b: 1 } }));
    // Weighted rows: the sums are weighted too.
    const w = { ...cal, weights: cal.x.map((_, i) => 1 + (i % 3)) };
    const wT = cal.T.reduce((s, v, i) => s + v * w.weights[i], 0);
    const wX = cal.x.reduce((s, v, i) => s + v * w.weights[i], 0);
    expect(fitBgNbd(w, budget)).toEqual(fitBgNbd(w, { ...budget, initial: { r: 1, alpha: wT / wX, a: 1, b: 1 } }));
    // A given r scales the start of α with it; the clamps bound α's start.
    expect(fitBgNbd(cal, { ...budget, initial: { r: 2 } })).toEqual(fitBgNbd(cal, { ...budget, initial: { r: 2, alpha: (2 * sumT) / sumX, a: 1, b: 1 } }));
    const rare = { x: [1, 0], tx: [1e5, 0], T: [1e9, 1e9] };
    expect(fitBgNbd(rare, budget)).toEqual(fitBgNbd(rare, { ...budget, initial: { r: 1, alpha: 1e6, a: 1, b: 1 } }));
    const busy = { x: [1e6, 0], tx: [1, 0], T: [1, 1] };
    expect(fitBgNbd(busy, budget)).toEqual(fitBgNbd(busy, { ...budget, initial: { r: 1, alpha: 1e-3, a: 1, b: 1 } }));
    const buyers = cs.filter((c) => c.x > 0);
    const gg = { x: buyers.map((c) => c.x), mx: buyers.map((c) => c.mx) };
    const meanM = gg.mx.reduce((s, v) => s + v, 0) / gg.mx.length;
    expect(fitGammaGamma(gg, budget)).toEqual(fitGammaGamma(gg, { ...budget, initial: { p: 1, q: 2, v: meanM } }));
    expect(fitGammaGamma(gg, { ...budget, initial: { p: 2, q: 5 } })).toEqual(fitGammaGamma(gg, { ...budget, initial: { p: 2, q: 5, v: (4 * meanM) / 2 } }));
  });

  it('respects the iteration and restart budgets it is given', () => {
    const SMALL_DATA = small().cal;
    const short = fitBgNbd(SMALL_DATA, { maxIterations: 20 });
    expect(short.iterations).toBeLessThanOrEqual(20);
    expect(short.converged).toBe(false);
    const once = fitBgNbd(SMALL_DATA, { maxRestarts: 0 });
    expect(once.restarts).toBe(0);
    expect(once.converged).toBe(false);
  });

  it('Gamma-Gamma: the fit is the likelihood maximum; the penalizer shrinks it', () => {
    const buyers = small().cs.filter((c) => c.x > 0);
    const data = { x: buyers.map((c) => c.x), mx: buyers.map((c) => c.mx) };
    const fit = fitGammaGamma(data);
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood).toBe(gammaGammaTotalLogLikelihood(fit.params, data));
    expect(bestNeighbourGain((p: typeof CDNOW_GG) => gammaGammaTotalLogLikelihood(p, data), fit.params)).toBeLessThan(1e-9 * abs(fit.logLikelihood));
    const lambda = 1e-4;
    const pen = fitGammaGamma(data, { penalizer: lambda, initial: { p: 5, q: 3, v: 10 } });
    const objective = (p: typeof CDNOW_GG): number => gammaGammaTotalLogLikelihood(p, data) / buyers.length - lambda * (p.p ** 2 + p.q ** 2 + p.v ** 2);
    expect(bestNeighbourGain(objective, pen.params)).toBeLessThan(1e-11);
    expect(pen.params.v).toBeLessThan(fit.params.v);
    const short = fitGammaGamma(data, { maxIterations: 10, maxRestarts: 0 });
    expect(short.iterations).toBeLessThanOrEqual(10);
    expect(short.converged).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('analytic gradients and BFGS', () => {
  /** Central difference of f in coordinate i (log-parameters), relative step 1e−6: error ~1e−9 relative. */
  const central = (f: (th: number[]) => number, th: number[], i: number): number => {
    const h = 1e-6;
    const up = th.slice();
    const dn = th.slice();
    up[i] += h;
    dn[i] -= h;
    return (f(up) - f(dn)) / (2 * h);
  };

  it('the BG/NBD, MBG/NBD and Gamma-Gamma gradients in log-parameters are the likelihoods’ derivatives (weighted rows too)', () => {
    const { cal, cs } = small();
    const weighted = { ...cal, weights: cal.x.map((_, i) => 1 + (i % 4)) };
    for (const data of [cal, weighted]) {
      for (const model of ['bgnbd', 'mbgnbd'] as const) {
        // Away from the optimum, and far out along a ridge (a, b huge), where the digamma differences use the asymptotic series.
        for (const P of [{ r: 0.7, alpha: 8, a: 1.1, b: 3.3 }, { r: 2.5, alpha: 40, a: 3e6, b: 9e6 }]) {
          const th = [P.r, P.alpha, P.a, P.b].map(log);
          const f = (t: number[]): number => betaGeoTotalLogLikelihood(model, { r: Math.exp(t[0]), alpha: Math.exp(t[1]), a: Math.exp(t[2]), b: Math.exp(t[3]) }, data);
          const [ll, grad] = betaGeoTotalLogLikelihoodGradient(model, P, data);
          expect(ll).toBe(betaGeoTotalLogLikelihood(model, P, data));
          grad.forEach((g, i) => expect({ model, i, ok: abs(g - central(f, th, i)) < 1e-6 * (1 + abs(g)) + 1e-9 * abs(ll) }).toEqual({ model, i, ok: true }));
        }
      }
    }
    const buyers = cs.filter((c) => c.x > 0);
    const gg = { x: buyers.map((c) => c.x), mx: buyers.map((c) => c.mx), weights: buyers.map((_, i) => 1 + (i % 3)) };
    for (const P of [{ p: 3, q: 2.5, v: 20 }, { p: 0.4, q: 800, v: 5e4 }]) {
      const th = [P.p, P.q, P.v].map(log);
      const f = (t: number[]): number => gammaGammaTotalLogLikelihood({ p: Math.exp(t[0]), q: Math.exp(t[1]), v: Math.exp(t[2]) }, gg);
      const [ll, grad] = gammaGammaTotalLogLikelihoodGradient(P, gg);
      expect(ll).toBe(gammaGammaTotalLogLikelihood(P, gg));
      grad.forEach((g, i) => expect({ i, ok: abs(g - central(f, th, i)) < 1e-6 * (1 + abs(g)) + 1e-9 * abs(ll) }).toEqual({ i, ok: true }));
    }
  });

  it('fitting the distinct (x, t_x, T) rows with their counts as weights gives the per-customer fit (the same sum)', () => {
    const { cal } = small();
    // Every customer three times over, against each customer once with weight 3 (rows grouped).
    const tripled = { x: [...cal.x, ...cal.x, ...cal.x], tx: [...cal.tx, ...cal.tx, ...cal.tx], T: [...cal.T, ...cal.T, ...cal.T] };
    const grouped = { ...cal, weights: cal.x.map(() => 3) };
    for (const model of ['bgnbd', 'mbgnbd'] as const) {
      const a = fitBetaGeo(model, tripled);
      const b = fitBetaGeo(model, grouped);
      expect(relErr(a.logLikelihood, b.logLikelihood)).toBeLessThan(1e-12);
      for (const k of ['r', 'alpha', 'a', 'b'] as const) expect({ k, ok: relErr(a.params[k], b.params[k]) < 1e-5 }).toEqual({ k, ok: true });
    }
  });

  it('BFGS finds the minimum of a quadratic and of Rosenbrock’s valley, confirmed by a restart, in few evaluations', () => {
    let calls = 0;
    const quad = (x: number[]): [number, number[]] => {
      calls++;
      return [(x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2 + 0.5 * (x[2] - 3) ** 2, [2 * (x[0] - 1), 20 * (x[1] + 2), x[2] - 3]];
    };
    const res = bfgs(quad, [0, 0, 0]);
    expect(res.converged).toBe(true);
    expect(res.restarts).toBe(1);
    expect(res.evaluations).toBe(calls);
    expect(res.evaluations).toBeLessThan(40);
    expect(res.f).toBeLessThan(1e-14);
    [1, -2, 3].forEach((want, i) => expect(abs(res.x[i] - want)).toBeLessThan(1e-7));
    const rosen = (x: number[]): [number, number[]] => [
      100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
      [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)],
    ];
    const r = bfgs(rosen, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(abs(r.x[0] - 1)).toBeLessThan(1e-6);
    expect(abs(r.x[1] - 1)).toBeLessThan(1e-6);
    // The budget: stopped unconverged; no restart: unconfirmed.
    const short = bfgs(rosen, [-1.2, 1], { maxIterations: 5 });
    expect(short.iterations).toBeLessThanOrEqual(5);
    expect(short.converged).toBe(false);
    expect(bfgs(quad, [0, 0, 0], { maxRestarts: 0 }).converged).toBe(false);
    // Outside the domain (non-finite f) the line search backs off: the minimum at the edge's inside.
    const edge = (x: number[]): [number, number[]] => (x[0] > 0.5 ? [NaN, [NaN]] : [(x[0] - 0.2) ** 2, [2 * (x[0] - 0.2)]]);
    const e = bfgs(edge, [-3]);
    expect(e.converged).toBe(true);
    expect(abs(e.x[0] - 0.2)).toBeLessThan(1e-9);
    // A start outside the domain returns at once, unconverged.
    expect(bfgs(edge, [1])).toMatchObject({ iterations: 0, converged: false });
  });
  it('BFGS takes the documented steps: the same iterates, iteration and evaluation counts as an independent port', () => {
    // scripts/bfgs-reference.py ports the algorithm as optimize.ts's comment documents it (N&W alg. 6.1,
    // eq. 6.20 scaling, Armijo backtracking, the stall rule and confirming restarts). A wrong constant,
    // update term or stopping rule still reaches a minimum, only by other steps: the counts tell.
    const rosen = (x: number[]): [number, number[]] => [
      100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
      [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)],
    ];
    const quad = (x: number[]): [number, number[]] => [(x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2 + 0.5 * (x[2] - 3) ** 2, [2 * (x[0] - 1), 20 * (x[1] + 2), x[2] - 3]];
    // ½ dᵀA d with A = [[3, 1, 0.5], [1, 2, 0.3], [0.5, 0.3, 1]], d = x − (1, −1, 2): off-diagonal curvature.
    const A = [
      [3, 1, 0.5],
      [1, 2, 0.3],
      [0.5, 0.3, 1],
    ];
    const coupled = (x: number[]): [number, number[]] => {
      const d = [x[0] - 1, x[1] + 1, x[2] - 2];
      const Ad = A.map((r) => r[0] * d[0] + r[1] * d[1] + r[2] * d[2]);
      return [0.5 * (d[0] * Ad[0] + d[1] * Ad[1] + d[2] * Ad[2]), Ad];
    };
    const offset = (fg: (x: number[]) => [number, number[]]) => (x: number[]): [number, number[]] => {
      const [f, g] = fg(x);
      return [f + 1000, g];
    };
    const flat = (): [number, number[]] => [1000, [1]];
    const cliff = (x: number[]): [number, number[]] => (x[0] <= 1.5 * 2 ** -60 ? [-1e4 * x[0], [-1e4]] : [NaN, [NaN]]);
    const cases: Array<[string, BfgsResult, BfgsResult]> = [
      ['rosen', bfgs(rosen, [-1.2, 1]), { x: [0.9999999961186595, 0.9999999919001881], f: 2.6430534281508478e-17, iterations: 40, evaluations: 55, restarts: 1, converged: true }],
      // fTol = 1: every step after the first gains less than 1 + f, so each run stalls after 10 of them.
      ['rosen fTol 1, 2 restarts', bfgs(rosen, [-1.2, 1], { fTol: 1, maxRestarts: 2 }), { x: [0.6450758042669907, 0.4093205940854405], f: 0.13059817606511587, iterations: 31, evaluations: 50, restarts: 2, converged: false }],
      // confirmTol = 1e6: the first restart's gain is within it and counts as a confirmation.
      ['rosen fTol 1, confirmTol 1e6', bfgs(rosen, [-1.2, 1], { fTol: 1, confirmTol: 1e6 }), { x: [0.017154256424035244, -0.024806090987257397], f: 1.0289885603719244, iterations: 21, evaluations: 31, restarts: 1, converged: true }],
      ['quad', bfgs(quad, [0, 0, 0]), { x: [1.0000000041927595, -2.0000000025839904, 2.9999999900387455], f: 1.339625890330385e-16, iterations: 14, evaluations: 17, restarts: 1, converged: true }],
      ['coupled', bfgs(coupled, [4, 3, -2]), { x: [0.999999999888455, -1.0000000001854101, 1.9999999990468191], f: 6.34178896229972e-19, iterations: 12, evaluations: 13, restarts: 1, converged: true }],
      // |f| ≈ 1000: the line search's rounding floor is 1e−15·(1 + |f|), not 1e−15.
      ['coupled + 1000', bfgs(offset(coupled), [4, 3, -2]), { x: [0.9999999300528435, -0.99999997795549, 1.999999974534038], f: 1000, iterations: 11, evaluations: 12, restarts: 1, converged: true }],
      // The restart gains ~1.5, within confirmTol·(1 + |f|) ≈ 10 (but not within confirmTol/(1 + |f|)).
      ['rosen + 1000, fTol 1, confirmTol 0.01', bfgs(offset(rosen), [-1.2, 1], { fTol: 1, confirmTol: 0.01 }), { x: [-0.055844153090735385, -0.0032975573364140767], f: 1001.1189235438899, iterations: 20, evaluations: 30, restarts: 1, converged: true }],
      // A plateau whose slope f cannot show at its magnitude: Armijo (≤) accepts steps that gain exactly 0,
      // each a stall (0 ≤ fTol·(1 + |f|), fTol = 0 included); 10 end a run, and the restart confirms.
      ['flat', bfgs(flat, [0]), { x: [-9.313225746154785e-9], f: 1000, iterations: 20, evaluations: 641, restarts: 1, converged: true }],
      ['flat, fTol 0', bfgs(flat, [0], { fTol: 0 }), { x: [-9.313225746154785e-9], f: 1000, iterations: 20, evaluations: 641, restarts: 1, converged: true }],
      // At most 60 halvings: the 61st, the first to land inside, is never tried (1 + 60 evaluations per run).
      ['cliff', bfgs(cliff, [0]), { x: [0], f: -0, iterations: 0, evaluations: 121, restarts: 1, converged: true }],
    ];
    // Reals to 1e−9 relative (the port agrees to the last bit today; the slack is for a libm or order change).
    const near = (a: number, b: number): boolean => abs(a - b) <= 1e-9 * abs(b) || (a === 0 && b === 0);
    for (const [name, got, want] of cases) {
      const { x, f, ...counts } = got;
      const { x: wx, f: wf, ...wantCounts } = want;
      expect({ name, counts, x: x.every((v, i) => near(v, wx[i])) && x.length === wx.length, f: near(f, wf) }).toEqual({ name, counts: wantCounts, x: true, f: true });
    }
  });

  it('BFGS options and edges: gTol stops at |∂f| ≤ gTol, the first step is at most a unit move, ∇f must be finite too', () => {
    const q1 = (x: number[]): [number, number[]] => [(x[0] - 1) ** 2, [2 * (x[0] - 1)]];
    // |f′(0.75)| = 0.5 exactly: within gTol = 0.5, so no step is taken, and the restart confirms it.
    expect(bfgs(q1, [0.75], { gTol: 0.5 })).toEqual({ x: [0.75], f: 0.0625, iterations: 0, evaluations: 1, restarts: 1, converged: true });
    // One component small is not enough: ∇f = (−0.2, −6) moves on, to where both are within gTol.
    const q2 = (x: number[]): [number, number[]] => [(x[0] - 1) ** 2 + (x[1] - 1) ** 2, [2 * (x[0] - 1), 2 * (x[1] - 1)]];
    const r2 = bfgs(q2, [0.9, -2], { gTol: 0.5 });
    expect(r2.iterations).toBeGreaterThan(0);
    expect(q2(r2.x)[1].every((v) => abs(v) <= 0.5)).toBe(true);
    // The first step is capped at a unit move in the largest coordinate: −∇f(1) = −100 is scaled to −1,
    // which lands on the minimum of 50x² at once (an uncapped step to −99 would have to backtrack).
    expect(bfgs((x) => [50 * x[0] ** 2, [100 * x[0]]], [1])).toEqual({ x: [0], f: 0, iterations: 1, evaluations: 2, restarts: 1, converged: true });
    // A finite f with a non-finite gradient is outside the domain too: the search stays at x₀ ≤ 0.5,
    // though f itself keeps falling beyond (to 0 at x₀ = 1).
    const nanGrad = (x: number[]): [number, number[]] => [(x[0] - 1) ** 2 + x[1] ** 2, [x[0] > 0.5 ? NaN : 2 * (x[0] - 1), 2 * x[1]]];
    const inside = bfgs(nanGrad, [0, 0]);
    expect(inside.x[0]).toBeLessThanOrEqual(0.5);
    expect(inside.f).toBeGreaterThanOrEqual(0.25);
    // A start outside the domain: f counts as +∞, and the run ends at once (no restarts).
    const edge = (x: number[]): [number, number[]] => (x[0] > 0.5 ? [NaN, [NaN]] : [(x[0] - 0.2) ** 2, [2 * (x[0] - 0.2)]]);
    expect(bfgs(edge, [1])).toEqual({ x: [1], f: Infinity, iterations: 0, evaluations: 1, restarts: 0, converged: false });
    // confirmTol = 0: a restart that gains exactly nothing still confirms (0 ≤ 0).
    expect(bfgs(q1, [0.75], { gTol: 0.5, confirmTol: 0 })).toMatchObject({ restarts: 1, converged: true });
    // The result is the caller's start point copied, never the array itself (x₀ is readonly).
    const x0 = [0.75];
    const still = bfgs(q1, x0, { gTol: 0.5 });
    expect(still.x).toEqual(x0);
    expect(still.x).not.toBe(x0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('numerical Hessian, inversion and standard errors', () => {
  it('central differences are exact (to rounding) for a cubic: f = x²y + 3y² + xz + z³ at (1, 2, 3)', () => {
    const f = ([x, y, z]: number[]): number => x * x * y + 3 * y * y + x * z + z ** 3;
    const want = [
      [4, 2, 1],
      [2, 6, 0],
      [1, 0, 18],
    ];
    for (const step of [undefined, 1e-3]) {
      const H = hessian(f, [1, 2, 3], step);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect({ i, j, ok: abs(H[i][j] - want[i][j]) < 1e-5 }).toEqual({ i, j, ok: true });
    }
    // Steps are relative: the same function in units 1000× smaller has a 1e6× smaller Hessian.
    const g = ([x]: number[]): number => (x / 1000) ** 2;
    expect(relErr(hessian(g, [5000])[0][0], 2e-6)).toBeLessThan(1e-4);
    // A coordinate at 0 still gets a usable (absolute) step.
    expect(relErr(hessian(([x]: number[]) => 3 * x * x, [0], 1e-2)[0][0], 6)).toBeLessThan(1e-6);
  });

  it('uses exactly the documented differences: steps h_i = relStep·θ_i, second differences on the diagonal', () => {
    // f = e^{x + 2y} is not a polynomial, so each difference formula and step has its own truncation error,
    // known in closed form: (f(x+h) − 2f + f(x−h))/h² = f·(2cosh(h) − 2)/h² on the diagonal and
    // (f(++) − f(+−) − f(−+) + f(−−))/(4 h_x h_y) = f·sinh(h_x)·sinh(2h_y)/(h_x h_y) off it.
    const f = ([x, y]: number[]): number => Math.exp(x + 2 * y);
    const [hx, hy] = [1e-2 * 1, 1e-2 * 0.5];
    const e2 = Math.exp(2);
    const want = [
      [(e2 * (2 * Math.cosh(hx) - 2)) / (hx * hx), (e2 * Math.sinh(hx) * Math.sinh(2 * hy)) / (hx * hy)],
      [(e2 * Math.sinh(hx) * Math.sinh(2 * hy)) / (hx * hy), (e2 * (2 * Math.cosh(2 * hy) - 2)) / (hy * hy)],
    ];
    const H = hessian(f, [1, 0.5], 1e-2);
    // Rounding: ~4 ulp of f over h² ≈ 1e−12 relative; the formulas with other steps differ by ≥ 1e−5.
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect({ i, j, ok: relErr(H[i][j], want[i][j]) < 1e-9 }).toEqual({ i, j, ok: true });
  });

  it('inverts with pivoting (zero on the diagonal) and refuses a singular matrix', () => {
    const m = [
      [0, 2, 1],
      [1, 1, 0],
      [2, 0, 3],
    ];
    const inv = invert(m);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const prod = m[i].reduce((s, v, k) => s + v * inv[k][j], 0);
        expect({ i, j, ok: abs(prod - (i === j ? 1 : 0)) < 1e-14 }).toEqual({ i, j, ok: true });
      }
    }
    // Exact inverse: det = −8; adj/det.
    expect(inv[0][0]).toBeCloseTo(-3 / 8, 15);
    expect(inv[2][2]).toBeCloseTo(2 / 8, 15);
    expect(invert([[2]])).toEqual([[0.5]]);
    // Exact in binary arithmetic, and no more columns than the matrix: [[2, 1], [1, 1]]⁻¹ = [[1, −1], [−1, 2]].
    expect(invert([
      [2, 1],
      [1, 1],
    ])).toEqual([
      [1, -1],
      [-1, 2],
    ]);
    // The pivot is the largest entry of the column, not the last row's (a 0 there is no singularity).
    expect(invert([
      [1, 0],
      [0, 1],
    ])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(() => invert([
      [1, 2],
      [2, 4],
    ])).toThrow('singular matrix: the likelihood is flat in some direction');
  });

  it('SE = sqrt(diag(A⁻¹)) for ln L = −½ (θ − θ₀)ᵀ A (θ − θ₀); NaN where not identified', () => {
    // A = [[4, 1], [1, 2]]: A⁻¹ = [[2, −1], [−1, 4]] / 7. `scale` is carried along untouched.
    const ll = (p: { u: number; w: number; scale: number }): number => {
      const du = p.u - 1;
      const dw = p.w - 2;
      return -0.5 * p.scale * (4 * du * du + 2 * du * dw + 2 * dw * dw);
    };
    const se = standardErrors(ll, { u: 1, w: 2, scale: 1 }, ['u', 'w']);
    expect(relErr(se.u, sqrt(2 / 7))).toBeLessThan(1e-5);
    expect(relErr(se.w, sqrt(4 / 7))).toBeLessThan(1e-5);
    const se4 = standardErrors(ll, { u: 1, w: 2, scale: 4 }, ['u', 'w']);
    expect(relErr(se4.u, sqrt(2 / 7) / 2)).toBeLessThan(1e-5);
    // A minimum instead of a maximum: negative variances → NaN.
    const up = standardErrors((p: { u: number; w: number }) => -ll({ ...p, scale: 1 }), { u: 1, w: 2 }, ['u', 'w']);
    expect(up.u).toBeNaN();
    expect(up.w).toBeNaN();
    // Flat in w: singular information → NaN for every parameter.
    const flat = standardErrors((p: { u: number; w: number }) => -((p.u - 1) ** 2), { u: 1, w: 2 }, ['u', 'w']);
    expect(flat).toEqual({ u: NaN, w: NaN });
    // A saddle, ln L = u·w: the inverse information [[0, 1], [1, 0]] has zero variances, which identify nothing.
    expect(standardErrors((p: { u: number; w: number }) => p.u * p.w, { u: 1, w: 2 }, ['u', 'w'])).toEqual({ u: NaN, w: NaN });
  });

  it('betaGeoStandardErrors: doubling every weight divides each SE by √2', () => {
    const SMALL_DATA = small().cal;
    const fit = fitBgNbd(SMALL_DATA);
    const se = betaGeoStandardErrors('bgnbd', fit.params, SMALL_DATA);
    const se2 = betaGeoStandardErrors('bgnbd', fit.params, { ...SMALL_DATA, weights: SMALL_DATA.x.map(() => 2) });
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      expect(se[k]).toBeGreaterThan(0);
      expect({ k, ok: relErr(se[k] / se2[k], Math.SQRT2) < 1e-6 }).toEqual({ k, ok: true });
    }
    // The MBG/NBD's likelihood differs, and so do its SEs at the same point.
    const seM = betaGeoStandardErrors('mbgnbd', fit.params, SMALL_DATA);
    expect(seM.a).not.toBeCloseTo(se.a, 6);
  });
});

// ---------------------------------------------------------------------------------------------
describe('model choice, holdout comparison and AUC', () => {
  it('auc is the Mann–Whitney probability with average ranks for ties', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    // Ranks 1.5, 1.5, 3, 4; positives at 1.5 and 3: (4.5 − 3)/(2·2).
    expect(auc([1, 1, 2, 3], [true, false, true, false])).toBe(0.375);
    // Positives 3, 2, 5 against negatives 1, 2: 2 + 1.5 + 2 of 6 pairs.
    expect(auc([3, 1, 2, 2, 5], [true, false, false, true, true])).toBeCloseTo(5.5 / 6, 15);
    expect(auc([5, 5, 5], [true, false, true])).toBe(0.5);
    expect(auc([1, 2, 3], [true, true, true])).toBeNaN();
    expect(auc([1, 2, 3], [false, false, false])).toBeNaN();
    expect(auc([9, 1], [true, false])).toBe(1);
    expect(auc([1, 9], [true, false])).toBe(0);
  });

  it('compareHoldout buckets customers by calibration frequency (7 = “7+”) and sums actual and predicted', () => {
    const P = SETS.P2;
    const cs = [
      { x: 0, tx: 0, T: 30, holdout: 0 },
      { x: 0, tx: 0, T: 10, holdout: 2 },
      { x: 1, tx: 5, T: 30, holdout: 1 },
      { x: 3, tx: 28, T: 30, holdout: 4 },
      { x: 7, tx: 20, T: 30, holdout: 0 },
      { x: 12, tx: 29, T: 30, holdout: 6 },
    ];
    const h = 26;
    const cmp = compareHoldout('mbgnbd', P, cs, h);
    expect(TOP_BUCKET).toBe(7);
    expect(cmp.buckets.map((b) => b.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(cmp.buckets.map((b) => b.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(cmp.buckets.map((b) => b.customers)).toEqual([2, 1, 0, 1, 0, 0, 0, 2]);
    expect(cmp.buckets.map((b) => b.actual)).toEqual([2, 1, 0, 4, 0, 0, 0, 6]);
    const e = cs.map((c) => betaGeoExpectedPurchases('mbgnbd', P, h, c.x, c.tx, c.T));
    expect(cmp.buckets[0].predicted).toBeCloseTo(e[0] + e[1], 14);
    expect(cmp.buckets[7].predicted).toBeCloseTo(e[4] + e[5], 14);
    expect(cmp.buckets[2].predicted).toBe(0);
    expect(cmp.total.customers).toBe(6);
    expect(cmp.total.actual).toBe(13);
    expect(cmp.total.predicted).toBeCloseTo(e.reduce((s, v) => s + v, 0), 13);
    const lapsed = cs.map((c) => c.holdout === 0);
    expect(cmp.churnAuc).toBe(auc(cs.map((c) => betaGeoProbabilityNoPurchase('mbgnbd', P, h, c.x, c.tx, c.T)), lapsed));
    expect(cmp.recencyAuc).toBe(auc(cs.map((c) => c.T - c.tx), lapsed));
    // Recencies 30, 10, 25, 2, 10, 1; lapsed 30 and 10 (x = 7) against 10, 25, 2, 1: 4 + 2.5 of 8 pairs.
    expect(cmp.recencyAuc).toBe(6.5 / 8);
    expect(cmp.lapsedShare).toBeCloseTo(2 / 6, 15);
    const none = compareHoldout('bgnbd', P, [], h);
    expect(none.lapsedShare).toBe(0);
    expect(none.total).toEqual({ customers: 0, actual: 0, predicted: 0 });
  });

  it('chooseBetaGeoModel scores each model on the holdout, ln L(full) − ln L(calibration), and picks the larger', () => {
    const sim = simulateCustomers({ model: 'mbgnbd', params: { r: 0.8, alpha: 6, a: 1.2, b: 2 }, customers: 500, seed: 5 });
    const cal = { x: sim.map((c) => c.x), tx: sim.map((c) => c.tx), T: sim.map((c) => c.T) };
    const full = { x: sim.map((c) => c.xFull), tx: sim.map((c) => c.txFull), T: sim.map((c) => c.TFull) };
    const choice = chooseBetaGeoModel(cal, full);
    expect(choice.candidates.map((c) => c.model)).toEqual(['bgnbd', 'mbgnbd']);
    for (const c of choice.candidates) {
      expect(c.params).toEqual(fitBetaGeo(c.model, cal).params);
      expect(c.logLikelihood).toBe(betaGeoTotalLogLikelihood(c.model, c.params, cal));
      expect(c.holdoutLogLikelihood).toBeCloseTo(betaGeoTotalLogLikelihood(c.model, c.params, full) - c.logLikelihood, 8);
      expect(c.holdoutLogLikelihood).toBeLessThan(0);
    }
    const best = choice.candidates[0].holdoutLogLikelihood > choice.candidates[1].holdoutLogLikelihood ? 'bgnbd' : 'mbgnbd';
    expect(choice.model).toBe(best);
    // No holdout (the full records are the calibration ones): both scores are exactly 0, and a tie keeps the
    // first candidate, the BG/NBD.
    const tie = chooseBetaGeoModel(cal, cal);
    expect(tie.candidates.map((c) => c.holdoutLogLikelihood)).toEqual([0, 0]);
    expect(tie.model).toBe('bgnbd');
    // Swapping the periods changes the scores, and the choice follows the larger one again.
    const bgSim = small();
    const bgChoice = chooseBetaGeoModel(bgSim.cal, bgSim.full);
    const [b0, b1] = bgChoice.candidates;
    expect(bgChoice.model).toBe(b0.holdoutLogLikelihood > b1.holdoutLogLikelihood ? 'bgnbd' : 'mbgnbd');
  });

  it('relativeError is got/want − 1, and |got| when want is 0', () => {
    expect(relativeError(3, 2)).toBe(0.5);
    expect(relativeError(1, 2)).toBe(-0.5);
    expect(relativeError(-3, 0)).toBe(3);
    expect(relativeError(0, 0)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('seeded simulation', () => {
  it('rng is deterministic per seed, and its samplers have the right moments', () => {
    const a = rng(42);
    const b = rng(42);
    const c = rng(43);
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
    // Known answers of mulberry32 (two 32-bit outputs per 53-bit uniform: 27 + 26 bits, + ½ so never 0),
    // from an independent Python port of the published algorithm: seed 42 gives 2581720956, 1925393290, …
    expect(sa.slice(0, 3)).toEqual([0.6011037487409305, 0.8524657984803172, 0.174813900341038]);
    // n = 40,000 draws; every bound is 5 standard errors of the estimate (false-failure odds ~6e−7 each).
    const n = 40_000;
    const g = rng(7);
    const moments = (draw: () => number): { mean: number; variance: number; min: number; max: number } => {
      let s = 0;
      let s2 = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = draw();
        s += v;
        s2 += v * v;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return { mean: s / n, variance: s2 / n - (s / n) ** 2, min: lo, max: hi };
    };
    const u = moments(g.uniform);
    expect(u.min).toBeGreaterThan(0);
    expect(u.max).toBeLessThan(1);
    expect(abs(u.mean - 0.5)).toBeLessThan(5 * sqrt(1 / 12 / n));
    expect(abs(u.variance - 1 / 12)).toBeLessThan(5 * sqrt(1 / 180 / n));
    const z = moments(g.normal);
    expect(abs(z.mean)).toBeLessThan(5 / sqrt(n));
    expect(abs(z.variance - 1)).toBeLessThan(5 * sqrt(2 / n));
    for (const [shape, rate] of [
      [3, 2],
      [0.4, 0.5],
    ]) {
      const m = moments(() => g.gamma(shape, rate));
      const mean = shape / rate;
      const variance = shape / rate ** 2;
      expect(m.min).toBeGreaterThan(0);
      expect({ shape, ok: abs(m.mean - mean) < 5 * sqrt(variance / n) }).toEqual({ shape, ok: true });
      // Var of the sample variance ≈ (μ₄ − σ⁴)/n; for a Gamma μ₄ = 3σ⁴(1 + 2/shape).
      expect({ shape, ok: abs(m.variance - variance) < 5 * variance * sqrt((2 + 6 / shape) / n) }).toEqual({ shape, ok: true });
    }
    const bt = moments(() => g.beta(2, 6));
    expect(abs(bt.mean - 0.25)).toBeLessThan(5 * sqrt(0.25 * 0.75 / 9 / n));
    expect(bt.max).toBeLessThan(1);
  });

  it('known answers: samplers and simulated customers equal an independent port of the published algorithms', () => {
    // scripts/simulation-reference.py (Python): mulberry32, Box–Muller keeping the second normal, Marsaglia
    // & Tsang with the shape < 1 boost, Beta as G1/(G1 + G2), and the BG/NBD / MBG/NBD story with spend.
    // Moments cannot tell two samplers of the same distribution apart; these exact draws can. Reals to
    // 1e−12 relative (Python's libm and V8's may differ in the last bit), counts exactly.
    const close = (got: number[], want: number[]): boolean => got.length === want.length && got.every((v, i) => abs(v - want[i]) <= 1e-12 * abs(want[i]));
    const g = rng(3);
    const draws = [g.normal(), g.normal(), g.normal(), g.gamma(2.5, 4), g.gamma(0.3, 2), g.gamma(1, 1), g.beta(0.8, 2.5)];
    expect({ draws, ok: close(draws, [-0.779674124971198, 0.2201966119239171, -0.7329583993533688, 0.5645225943602813, 0.007196389672142744, 0.014751828532015177, 0.2053802619954457]) }).toEqual({ draws, ok: true });
    const same = (got: SimulatedCustomer[], want: SimulatedCustomer[]): Array<{ i: number; got: SimulatedCustomer }> =>
      got
        .map((c, i) => ({ i, got: c }))
        .filter(({ i, got: c }) => {
          const w = want[i];
          return !(w && c.x === w.x && c.holdout === w.holdout && c.xFull === w.xFull && close([c.tx, c.T, c.txFull, c.TFull, c.mx], [w.tx, w.T, w.txFull, w.TFull, w.mx]));
        });
    const bg = simulateCustomers({ model: 'bgnbd', params: SETS.P2, customers: 8, seed: 11, spend: { p: 6, q: 4, v: 15 } });
    expect(bg).toHaveLength(8);
    expect(same(bg, [
      { x: 3, tx: 19.768315046738742, T: 32.86095539957764, holdout: 0, xFull: 3, txFull: 19.768315046738742, TFull: 71.86095539957763, mx: 15.310990925994028 },
      { x: 0, tx: 0, T: 33.03289286558833, holdout: 1, xFull: 1, txFull: 46.56505594164054, TFull: 72.03289286558834, mx: 0 },
      { x: 1, tx: 2.339408633547807, T: 34.46857175791525, holdout: 5, xFull: 6, txFull: 67.33776025670768, TFull: 73.46857175791526, mx: 34.56874085719486 },
      { x: 1, tx: 9.910626999297614, T: 37.895859847611376, holdout: 0, xFull: 1, txFull: 9.910626999297614, TFull: 76.89585984761138, mx: 16.71968648602292 },
      { x: 0, tx: 0, T: 33.449026888268804, holdout: 0, xFull: 0, txFull: 0, TFull: 72.4490268882688, mx: 0 },
      { x: 2, tx: 1.2297766094730573, T: 29.092971705889266, holdout: 0, xFull: 2, txFull: 1.2297766094730573, TFull: 68.09297170588927, mx: 16.463786748485898 },
      { x: 1, tx: 0.3460212825049338, T: 33.77180098603761, holdout: 0, xFull: 1, txFull: 0.3460212825049338, TFull: 72.77180098603762, mx: 14.065686561511502 },
      { x: 1, tx: 13.260245037679633, T: 31.41004648617966, holdout: 1, xFull: 2, txFull: 48.286162224207246, TFull: 70.41004648617965, mx: 85.97165931460941 },
    ])).toEqual([]);
    const mbg = simulateCustomers({ model: 'mbgnbd', params: { r: 2, alpha: 3, a: 1, b: 6 }, customers: 6, seed: 4, acquisitionWeeks: 5, calibrationEnd: 10, holdoutEnd: 30 });
    expect(mbg).toHaveLength(6);
    expect(same(mbg, [
      { x: 2, tx: 2.148913903302463, T: 5.3818190346268615, holdout: 0, xFull: 2, txFull: 2.148913903302463, TFull: 25.38181903462686, mx: 0 },
      { x: 0, tx: 0, T: 7.362137424093888, holdout: 0, xFull: 0, txFull: 0, TFull: 27.362137424093888, mx: 0 },
      { x: 13, tx: 8.293722508704397, T: 8.608520755290066, holdout: 33, xFull: 46, txFull: 28.483620023754227, TFull: 28.608520755290066, mx: 0 },
      { x: 5, tx: 6.847212903608415, T: 8.021430679184132, holdout: 3, xFull: 8, txFull: 12.31504861417902, TFull: 28.02143067918413, mx: 0 },
      { x: 2, tx: 7.706536761220602, T: 8.163226584576886, holdout: 0, xFull: 2, txFull: 7.706536761220602, TFull: 28.163226584576886, mx: 0 },
      { x: 2, tx: 6.6362835466437735, T: 9.325455111934168, holdout: 7, xFull: 9, txFull: 27.658880084344755, TFull: 29.32545511193417, mx: 0 },
    ])).toEqual([]);
  });

  it('simulateCustomers: windows, counts and spend follow the options and the generative story', () => {
    // Rates ~10 a week and p = ½ for everyone (a = b = 1e4): almost every customer buys before dropping out.
    const params = { r: 1000, alpha: 100, a: 1e4, b: 1e4 };
    const n = 4000;
    const bg = simulateCustomers({ model: 'bgnbd', params, customers: n, seed: 1, spend: { p: 2, q: 1e4, v: 1e4 } });
    expect(bg).toHaveLength(n);
    // Defaults: acquisition over 12 weeks, calibration to week 39, holdout to week 78.
    const broken = bg.filter(
      (c) =>
        !(c.T > 39 - 12 && c.T <= 39 && abs(c.TFull - (c.T + 39)) < 1e-9 && c.x <= c.xFull && c.holdout === c.xFull - c.x) ||
        !(c.tx <= c.T && c.txFull >= c.tx && c.txFull <= c.TFull && c.mx > 0 === c.x > 0),
    );
    expect(broken).toEqual([]);
    // BG/NBD: purchases until the first "drop" of a fair coin after each: E[xFull] = 2, Var = 2.
    const meanFull = bg.reduce((s, c) => s + c.xFull, 0) / n;
    expect(abs(meanFull - 2)).toBeLessThan(5 * sqrt(2 / n));
    expect(bg.every((c) => c.xFull >= 1)).toBe(true);
    // Spend per transaction Gamma(2, ν ≈ 1): mean 2 (ν ~ Gamma(1e4, 1e4) is 1 ± 1 %).
    const buyers = bg.filter((c) => c.x > 0);
    const meanSpend = buyers.reduce((s, c) => s + c.mx * c.x, 0) / buyers.reduce((s, c) => s + c.x, 0);
    expect(abs(meanSpend - 2)).toBeLessThan(0.05);
    // MBG/NBD: half of them drop out at the first purchase already.
    const mbg = simulateCustomers({ model: 'mbgnbd', params, customers: n, seed: 1 });
    const dead0 = mbg.filter((c) => c.xFull === 0).length / n;
    expect(abs(dead0 - 0.5)).toBeLessThan(5 * sqrt(0.25 / n));
    expect(mbg.every((c) => c.mx === 0)).toBe(true);
    // Custom windows: acquisition over 4 weeks, calibration to 10, holdout to 30.
    const w = simulateCustomers({ model: 'bgnbd', params: SETS.P2, customers: 500, seed: 2, acquisitionWeeks: 4, calibrationEnd: 10, holdoutEnd: 30 });
    expect(w.filter((c) => !(c.T > 6 && c.T <= 10 && abs(c.TFull - (c.T + 20)) < 1e-9 && c.txFull <= c.TFull && c.tx <= c.T))).toEqual([]);
    // Over 30 weeks at E[λ] = 0.05 a week, some customers buy in the holdout and some in calibration.
    expect(w.some((c) => c.holdout > 0)).toBe(true);
    expect(w.some((c) => c.x > 0)).toBe(true);
    expect(simulateCustomers({ model: 'bgnbd', params: SETS.P2, customers: 50, seed: 9 })).toEqual(simulateCustomers({ model: 'bgnbd', params: SETS.P2, customers: 50, seed: 9 }));
  });
});
