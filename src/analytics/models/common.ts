/** Shared types and helpers of the CLV models. */

/** Column of numbers: a Float64Array from the grouping query, or a plain array in tests. */
export type NumArray = ArrayLike<number>;

export interface FitOptions<P> {
  /**
   * L2 penalty on the (natural-scale) parameters, added to the mean negative log-likelihood per
   * customer, exactly as lifetimes' `penalizer_coef` — so the same value means the same shrinkage.
   * Like lifetimes', it is not unit-free: it weighs α (time unit) and v (money unit) by their size.
   * Default 0 (plain maximum likelihood).
   */
  penalizer?: number;
  /** Starting point; defaults are data-driven rough guesses. */
  initial?: Partial<P>;
  /** Total optimizer (BFGS) iteration budget over all restarts (default 1000). */
  maxIterations?: number;
  /** Maximum number of restarts from the best point with a fresh inverse Hessian (default 5). */
  maxRestarts?: number;
}

export interface FitResult<P> {
  params: P;
  /** Total (weighted) log-likelihood at `params`, without the penalty. */
  logLikelihood: number;
  /** BFGS iterations (accepted steps) over all restarts, and objective evaluations (each one pass over the data, gradient included). */
  iterations: number;
  evaluations: number;
  restarts: number;
  /** True when a fresh restart confirmed the optimum; false when the iteration budget ran out first. */
  converged: boolean;
}

/**
 * Distinct values of a column and, per row, the index of its value: the likelihoods evaluate logs and
 * log-gammas once per distinct value instead of once per row — after the SQL grouping by (x, t_x, T)
 * each of the three columns takes only a few hundred distinct values, while rows number tens of thousands.
 */
export interface Indexed {
  values: Float64Array;
  index: Uint32Array;
}

export function indexDistinct(col: NumArray): Indexed {
  const seen = new Map<number, number>();
  const index = new Uint32Array(col.length);
  const values: number[] = [];
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    let k = seen.get(v);
    if (k === undefined) {
      k = values.length;
      values.push(v);
      seen.set(v, k);
    }
    index[i] = k;
  }
  return { values: Float64Array.from(values), index };
}

/** Validates lengths and weights; returns the weights (1 per row when absent) and their total. */
export function checkColumns(name: string, cols: Record<string, NumArray>, weights?: NumArray): { w: Float64Array; total: number } {
  const entries = Object.entries(cols);
  const n = entries[0][1].length;
  for (const [k, c] of entries) if (c.length !== n) throw new RangeError(`${name}: column ${k} has ${c.length} rows, expected ${n}`);
  if (weights && weights.length !== n) throw new RangeError(`${name}: weights has ${weights.length} rows, expected ${n}`);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    if (!(wi >= 0) || !Number.isFinite(wi)) throw new RangeError(`${name}: weight at row ${i} must be a finite number ≥ 0, got ${wi}`);
    w[i] = wi;
    total += wi;
  }
  if (!(total > 0)) throw new RangeError(`${name}: no data (total weight 0)`);
  return { w, total };
}

/** Log-parameters beyond ±LOG_BOUND (e^25 ≈ 7e10) are treated as outside the domain during the fit. */
export const LOG_BOUND = 25;

/**
 * Math functions as module bindings. Hot loops then skip a global-object lookup per call; inside a
 * vm context — Jest's test environment — that lookup goes through an interceptor and made the fits
 * ~8× slower. Plain Node is unaffected either way.
 */
export const { abs, exp, expm1, floor, log, log1p, max, min, round } = Math;
