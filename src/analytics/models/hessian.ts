/**
 * Standard errors of a maximum-likelihood fit from the numerical Hessian of the log-likelihood:
 * SE_i = sqrt([(−∇²ln L)^{-1}]_ii) at the optimum (the inverse observed information).
 *
 * Why numerical: the models' second derivatives run through log-gamma and log-sum-exp terms whose
 * analytic forms would need trigamma and careful algebra per model; with 3–4 parameters central
 * differences cost ~4n² evaluations of a likelihood that is one pass over the data. Steps are relative
 * (h_i = 1e-4 · θ_i): the parameters are positive and of very different scales (α in weeks, v in cents).
 */
import { abs, max } from './common';

export function hessian(f: (theta: number[]) => number, theta: readonly number[], relStep = 1e-4): number[][] {
  const n = theta.length;
  const h = theta.map((t) => relStep * max(abs(t), 1e-8));
  const at = (di: number, si: number, dj: number, sj: number): number => {
    const x = theta.slice();
    x[di] += si * h[di];
    x[dj] += sj * h[dj];
    return f(x);
  };
  const f0 = f(theta.slice());
  const H: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const x1 = theta.slice();
    x1[i] += h[i];
    const x2 = theta.slice();
    x2[i] -= h[i];
    H[i][i] = (f(x1) - 2 * f0 + f(x2)) / (h[i] * h[i]);
    for (let j = 0; j < i; j++) {
      H[i][j] = H[j][i] = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h[i] * h[j]);
    }
  }
  return H;
}

/** Inverse of a small symmetric positive-definite matrix by Gauss–Jordan with partial pivoting. */
export function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (abs(a[r][c]) > abs(a[p][c])) p = r;
    if (a[p][c] === 0) throw new RangeError('singular matrix: the likelihood is flat in some direction');
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let k = 0; k < 2 * n; k++) a[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c || a[r][c] === 0) continue;
      const f = a[r][c];
      for (let k = 0; k < 2 * n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row) => row.slice(n));
}

/**
 * Standard errors of the parameters `names` of `params`, given the total log-likelihood as a function
 * of the parameter object. NaN where the observed information is not positive definite (a fit on a
 * ridge: the parameter is not identified by the data).
 */
export function standardErrors<P extends object>(logLikelihood: (p: P) => number, params: P, names: ReadonlyArray<keyof P & string>): Record<string, number> {
  const theta = names.map((k) => params[k] as unknown as number);
  const f = (th: number[]): number => -logLikelihood({ ...params, ...Object.fromEntries(names.map((k, i) => [k, th[i]])) } as P);
  const out: Record<string, number> = {};
  try {
    const cov = invert(hessian(f, theta));
    names.forEach((k, i) => (out[k] = cov[i][i] > 0 ? Math.sqrt(cov[i][i]) : NaN));
  } catch {
    for (const k of names) out[k] = NaN;
  }
  return out;
}
