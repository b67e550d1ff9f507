/**
 * Minimisation for the model fits: BFGS with the likelihoods' analytic gradients (digamma differences
 * once per distinct x, see bgnbd.ts and gamma-gamma.ts), tens of evaluations per fit where the
 * derivative-free Nelder–Mead it replaced took hundreds to thousands (500–2,300 on 20,000 simulated
 * customers, to the same maximum).
 */

import { abs, max, min } from './common';

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

export interface BfgsResult {
  x: number[];
  f: number;
  /** Accepted steps over all restarts. */
  iterations: number;
  /** Evaluations of f and its gradient. */
  evaluations: number;
  restarts: number;
  /** A restart from the best point gained nothing (the minimum is confirmed). */
  converged: boolean;
}

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
 * fixed) every point fits equally well and the gradient decays only slowly. Then a
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
    // A restart that gains nothing (within confirmTol) confirms the minimum.
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
