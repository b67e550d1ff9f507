/**
 * Minimisation for the model fits. The fits use `bfgs` with the likelihoods' analytic gradients (digamma
 * differences once per distinct x, see bgnbd.ts and gamma-gamma.ts): tens of evaluations per fit, where
 * the derivative-free Nelder–Mead below took hundreds to thousands (500–2,300 on 20,000 simulated
 * customers, to the same maximum). Nelder–Mead stays for objectives without a gradient.
 *
 * Nelder–Mead with restarts: a simplex can collapse onto a subspace in long curved valleys (r and α of
 * the BG/NBD are strongly correlated), stopping early without being at a minimum; restarting from the
 * best vertex with a fresh, full-dimensional simplex fixes that (Kelley 1999, "Detection and remediation
 * of stagnation in the Nelder–Mead algorithm"), and a restart that no longer improves is the convergence test.
 */

import { abs, max, min } from './common';

export interface NelderMeadOptions {
  /** Initial simplex edge per coordinate (default 0.5: parameters are on a log scale). */
  step?: number;
  /** Stop a run when all vertex values lie within fTol·(1+|f_best|) and the simplex within xTol. */
  fTol?: number;
  xTol?: number;
  /** Total iteration budget over all restarts. */
  maxIterations?: number;
  maxRestarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  f: number;
  iterations: number;
  evaluations: number;
  restarts: number;
  converged: boolean;
}

/**
 * Minimises f from x0. Non-finite values of f count as +Infinity, so objectives may simply return NaN or
 * Infinity outside their domain. Coefficients: reflection 1, expansion 2, contraction ½, shrink ½
 * (Lagarias, Reeds, Wright & Wright 1998), which behave well in this low dimension.
 */
export function nelderMead(f: (x: number[]) => number, x0: readonly number[], opts: NelderMeadOptions = {}): NelderMeadResult {
  const fTol = opts.fTol ?? 1e-10;
  const xTol = opts.xTol ?? 1e-7;
  const maxIterations = opts.maxIterations ?? 5000;
  const maxRestarts = opts.maxRestarts ?? 10;
  let evaluations = 0;
  const fx = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };

  let best = x0.slice();
  let fBest = fx(best);
  let iterations = 0;
  let restarts = 0;
  let converged = false;
  let step = opts.step ?? 0.5;

  for (;;) {
    const run = simplexRun(fx, best, fBest, step, fTol, xTol, maxIterations - iterations);
    iterations += run.iterations;
    const improvement = fBest - run.f;
    const moved = max(...run.x.map((v, i) => abs(v - best[i])));
    if (run.f <= fBest) {
      best = run.x;
      fBest = run.f;
    }
    // A restart that neither improves f nor moves the point confirms the minimum.
    if (restarts > 0 && run.done && improvement <= fTol * (1 + abs(fBest)) && moved <= 10 * xTol) {
      converged = true;
      break;
    }
    if (!run.done || restarts >= maxRestarts || iterations >= maxIterations) break;
    restarts++;
    // Later restarts only need to escape a collapsed simplex, not to search widely.
    step = max(0.05, step / 2);
  }
  return { x: best, f: fBest, iterations, evaluations, restarts, converged };
}

function simplexRun(
  fx: (x: number[]) => number,
  x0: number[],
  f0: number,
  step: number,
  fTol: number,
  xTol: number,
  budget: number,
): { x: number[]; f: number; iterations: number; done: boolean } {
  const n = x0.length;
  const pts: number[][] = [x0.slice()];
  const vals: number[] = [f0];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] += step;
    pts.push(p);
    vals.push(fx(p));
  }
  const order = (): void => {
    const idx = vals.map((_, i) => i).sort((i, j) => vals[i] - vals[j] || 0); // Infinity − Infinity is NaN
    const p2 = idx.map((i) => pts[i]);
    const v2 = idx.map((i) => vals[i]);
    for (let i = 0; i <= n; i++) {
      pts[i] = p2[i];
      vals[i] = v2[i];
    }
  };
  const combine = (c: number[], d: number[], t: number): number[] => c.map((ci, i) => ci + t * (d[i] - ci));

  // A run also ends when the best value has not improved by more than fTol for `stallLimit` iterations:
  // when the optimum lies at infinity along a nearly flat ridge (a BG/NBD without heterogeneity in
  // dropout sends a and b → ∞ with a/b fixed; without heterogeneity in rates, r and α), the simplex
  // keeps creeping outwards for gains of ~1e−12, or stalls on the objective's rounding noise without
  // ever meeting xTol — and every point on such a ridge fits the data equally well.
  const stallLimit = max(100, 50 * n);
  let lastBest = f0;
  let lastGain = 0;
  let it = 0;
  for (; it < budget; it++) {
    order();
    const tol = fTol * (1 + abs(vals[0]));
    if (lastBest - vals[0] > tol) {
      lastBest = vals[0];
      lastGain = it;
    }
    const fSpread = vals[n] - vals[0];
    let xSpread = 0;
    for (let i = 1; i <= n; i++) for (let k = 0; k < n; k++) xSpread = max(xSpread, abs(pts[i][k] - pts[0][k]));
    if ((fSpread <= tol && xSpread <= xTol) || it - lastGain > stallLimit) {
      return { x: pts[0], f: vals[0], iterations: it, done: true };
    }

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) centroid[k] += pts[i][k] / n;
    const worst = pts[n];
    const xr = combine(centroid, worst, -1);
    const fr = fx(xr);
    if (fr < vals[0]) {
      const xe = combine(centroid, worst, -2);
      const fe = fx(xe);
      if (fe < fr) {
        pts[n] = xe;
        vals[n] = fe;
      } else {
        pts[n] = xr;
        vals[n] = fr;
      }
      continue;
    }
    if (fr < vals[n - 1]) {
      pts[n] = xr;
      vals[n] = fr;
      continue;
    }
    // Contraction: outside if the reflected point beat the worst, inside otherwise.
    const outside = fr < vals[n];
    const xc = outside ? combine(centroid, worst, -0.5) : combine(centroid, worst, 0.5);
    const fc = fx(xc);
    if (outside ? fc <= fr : fc < vals[n]) {
      pts[n] = xc;
      vals[n] = fc;
      continue;
    }
    for (let i = 1; i <= n; i++) {
      pts[i] = combine(pts[0], pts[i], 0.5);
      vals[i] = fx(pts[i]);
    }
  }
  order();
  return { x: pts[0], f: vals[0], iterations: it, done: false };
}

export interface BfgsOptions {
  /** Stop when every gradient component is within gTol (the objectives are per-customer means, O(1)). */
  gTol?: number;
  /** A step that improves f by no more than fTol·(1+|f|) counts as a stall (see below). */
  fTol?: number;
  /** A restart that gains no more than confirmTol·(1+|f|) confirms the minimum. */
  confirmTol?: number;
  /** Total iteration budget over all restarts. */
  maxIterations?: number;
  /** Restarts from the best point with a fresh (identity) inverse Hessian; the last one confirms the minimum. */
  maxRestarts?: number;
}

export type BfgsResult = NelderMeadResult;

/**
 * Minimises f, given with its gradient (`fg` returns [f, ∇f]), by BFGS (Nocedal & Wright 2006, alg. 6.1)
 * with a backtracking line search that enforces the Armijo condition and accepts a step for the update
 * only when the curvature condition sᵀy > 0 holds (otherwise the inverse Hessian is left as it was). The
 * first step's inverse Hessian is scaled by sᵀy/yᵀy (N&W eq. 6.20). Non-finite values of f count as
 * +Infinity (the line search backs off from the domain edge). With analytic gradients a fit in 3–4
 * log-parameters takes tens of iterations where Nelder–Mead took hundreds to thousands of evaluations.
 *
 * A run ends when the gradient is below gTol, or when `stallLimit` consecutive steps each gain no more
 * than fTol — on a flat ridge to infinity (a BG/NBD without heterogeneity in dropout: a, b → ∞ with a/b
 * fixed) every point fits equally well and the gradient decays only slowly. Then, as for Nelder–Mead, a
 * restart from the best point with a fresh inverse Hessian that gains nothing confirms the minimum
 * (`converged`); a restart that still improves is run like the first.
 */
export function bfgs(fg: (x: number[]) => [number, number[]], x0: readonly number[], opts: BfgsOptions = {}): BfgsResult {
  const gTol = opts.gTol ?? 1e-9;
  const fTol = opts.fTol ?? 1e-13;
  const maxIterations = opts.maxIterations ?? 1000;
  const maxRestarts = opts.maxRestarts ?? 5;
  const n = x0.length;
  const confirmTol = opts.confirmTol ?? 1e-10;
  const stallLimit = 10;
  let evaluations = 0;
  const evaluate = (x: number[]): [number, number[]] => {
    evaluations++;
    const [f, g] = fg(x);
    return Number.isFinite(f) && g.every(Number.isFinite) ? [f, g] : [Infinity, g];
  };

  let x = x0.slice();
  let [f, g] = evaluate(x);
  if (!Number.isFinite(f)) return { x, f, iterations: 0, evaluations, restarts: 0, converged: false };
  let iterations = 0;
  let restarts = 0;
  let converged = false;
  const gradSmall = (gr: number[]): boolean => gr.every((v) => abs(v) <= gTol);

  for (;;) {
    const fStart = f;
    // Inverse Hessian approximation, row-major; identity at each (re)start.
    let H = identity(n);
    let first = true;
    let stall = 0;
    let done = gradSmall(g);
    while (!done && iterations < maxIterations) {
      let d = matVec(H, g).map((v) => -v);
      let slope = dot(g, d);
      if (!(slope < 0)) {
        // Not a descent direction (rounding in H): steepest descent from a fresh H.
        H = identity(n);
        first = true;
        d = g.map((v) => -v);
        slope = dot(g, d);
      }
      // First step of a run: at most a unit move in the largest coordinate (log-parameters: a factor e).
      let t = first ? min(1, 1 / max(...d.map(abs))) : 1;
      let xn: number[] = x;
      let fn = Infinity;
      let gn: number[] = g;
      let accepted = false;
      // Backtrack until Armijo holds, or until the decrease the step could give is below f's rounding
      // (at the minimum, where a search would only halve t sixty times for nothing).
      for (let k = 0; k < 60 && -t * slope > 1e-15 * (1 + abs(f)); k++) {
        xn = x.map((v, i) => v + t * d[i]);
        [fn, gn] = evaluate(xn);
        if (fn <= f + 1e-4 * t * slope) {
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      if (!accepted) {
        done = true;
        break;
      }
      iterations++;
      const s = xn.map((v, i) => v - x[i]);
      const y = gn.map((v, i) => v - g[i]);
      const gain = f - fn;
      x = xn;
      f = fn;
      g = gn;
      stall = gain <= fTol * (1 + abs(f)) ? stall + 1 : 0;
      if (gradSmall(g) || stall >= stallLimit) done = true;
      const sy = dot(s, y);
      if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
        if (first) {
          const scale = sy / dot(y, y);
          H = identity(n).map((row) => row.map((v) => v * scale));
          first = false;
        }
        // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/sᵀy.
        const rho = 1 / sy;
        const Hy = matVec(H, y);
        const yHy = dot(y, Hy);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            H[i][j] += -rho * (s[i] * Hy[j] + Hy[i] * s[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
          }
        }
      }
    }
    // A restart that gains nothing (within confirmTol, Nelder–Mead's fTol) confirms the minimum.
    if (restarts > 0 && fStart - f <= confirmTol * (1 + abs(f))) {
      converged = true;
      break;
    }
    if (restarts >= maxRestarts || iterations >= maxIterations) break;
    restarts++;
  }
  return { x, f, iterations, evaluations, restarts, converged };
}

const identity = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const dot = (u: number[], v: number[]): number => u.reduce((s, ui, i) => s + ui * v[i], 0);
const matVec = (M: number[][], v: number[]): number[] => M.map((row) => dot(row, v));
