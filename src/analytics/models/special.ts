/**
 * Special functions the CLV models need, in plain double precision (no numeric library is allowed in
 * this service): the log-gamma function and the Gauss hypergeometric function 2F1 for real arguments.
 *
 * References: Abramowitz & Stegun (1964), ch. 6 and 15 (cited as A&S); NIST DLMF §5.11, §15.8.
 */

import { abs, exp, floor, log, log1p, max, min, round } from './common';

const LOG_SQRT_2PI = 0.5 * log(2 * Math.PI);

/** sin(πx) with the argument reduced first, so that it is exactly 0 at integers and accurate near them. */
export function sinPi(x: number): number {
  let r = x % 2; // exact in floating point
  if (r < 0) r += 2;
  let sign = 1;
  if (r >= 1) {
    r -= 1;
    sign = -1;
  }
  // sin(π r) = sin(π (1 − r)); the smaller of the two keeps the argument of Math.sin small.
  return sign * Math.sin(Math.PI * min(r, 1 - r));
}

/**
 * ln|Γ(x)| for real x; +Infinity at the poles (0, −1, −2, …).
 *
 * x ≥ 15: Stirling's series (A&S 6.1.41) to the x⁻¹³ term, whose next term is < 1e−19 there.
 * 0 < x < 15: shift up with Γ(x) = Γ(x+n)/(x(x+1)…(x+n−1)); the product of at most 15 factors is
 *   accurate to a few ulps and cannot overflow, so the result is good to ~1e−15 absolute.
 * x < 0.5: the reflection formula Γ(x)Γ(1−x) = π/sin(πx) (A&S 6.1.17) — it keeps tiny positive x
 *   accurate too (ln Γ(x) ≈ −ln x), which the shifted Stirling series would lose to cancellation.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Γ(x) = π / (sin(πx) Γ(1−x)); for 0 < x < 0.5, Γ(1−x) is well inside the accurate range.
    return log(Math.PI / abs(sinPi(x))) - logGamma(1 - x);
  }
  if (x < 15) {
    let prod = 1;
    let y = x;
    while (y < 15) {
      prod *= y;
      y += 1;
    }
    return stirling(y) - log(prod);
  }
  return stirling(x);
}

/**
 * ln Γ(x + d) − ln Γ(x) for x > 0, x + d > 0, without the cancellation of subtracting two large
 * log-gammas: the likelihoods need it with x ≈ 1e7 when a fit runs out along a ridge (a, b or r, α
 * → ∞), where the plain difference would carry ~1e−8 of rounding noise — enough to stall the optimiser.
 * In Stirling's range the leading terms combine exactly into (x − ½)·log1p(d/x) + d·ln(x+d) − d.
 */
export function logGammaDiff(x: number, d: number): number {
  if (d === 0) return 0;
  const y = x + d;
  if (x < 15 || y < 15) return logGamma(y) - logGamma(x);
  return (x - 0.5) * log1p(d / x) + d * log(y) - d + (stirlingCorrection(y) - stirlingCorrection(x));
}

function stirling(x: number): number {
  return (x - 0.5) * log(x) - x + LOG_SQRT_2PI + stirlingCorrection(x);
}

function stirlingCorrection(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Bernoulli-number coefficients B_{2k} / (2k (2k−1)), A&S 6.1.41.
  const series =
    inv *
    (1 / 12 +
      inv2 *
        (-1 / 360 +
          inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 * (1 / 156)))))));
  return series;
}

/** The sign of Γ(x) (0 at the poles): positive for x > 0, alternating between the poles for x < 0. */
export function gammaSign(x: number): number {
  if (x > 0) return 1;
  if (Number.isInteger(x)) return 0;
  return floor(x) % 2 === 0 ? 1 : -1;
}

/** Γ(c1)Γ(c2)/(Γ(d1)Γ(d2)) as a number, in log space so that the single factors may overflow. */
function gammaRatio(c1: number, c2: number, d1: number, d2: number): number {
  // 1/Γ at a pole is 0, which is what makes the terms of the 1−z transformation vanish exactly.
  if (gammaSign(d1) === 0 || gammaSign(d2) === 0) return 0;
  const sign = gammaSign(c1) * gammaSign(c2) * gammaSign(d1) * gammaSign(d2);
  if (sign === 0) return NaN; // a pole in the numerator: the caller's transformation is degenerate
  return sign * exp(logGamma(c1) + logGamma(c2) - logGamma(d1) - logGamma(d2));
}

const isNonPositiveInteger = (v: number): boolean => v <= 0 && Number.isInteger(v);

/**
 * Upper bound on all future term ratios of a series whose ratio at step n is
 * |u| · (p1+n)(p2+n) / ((q1+n)(q2+n)), or Infinity while that cannot be bounded yet.
 * Why it is rigorous: once every shifted parameter is positive, each factor (p+m)/(q+m) is monotone
 * in m (its derivative has the constant sign of q − p) and tends to 1, so its supremum over m ≥ n is
 * max(its value at n, 1). Both ways of pairing numerators with denominators give a valid bound; the
 * smaller is used, which matters when one parameter is huge (e.g. b ≈ c ≈ 1e7 in a degenerate fit).
 */
export function ratioBound(u: number, n: number, p1: number, p2: number, q1: number, q2: number): number {
  if (p1 + n <= 0 || p2 + n <= 0 || q1 + n <= 0 || q2 + n <= 0) return Infinity;
  const f = (p: number, q: number): number => max((p + n) / (q + n), 1);
  return abs(u) * min(f(p1, q1) * f(p2, q2), f(p1, q2) * f(p2, q1));
}

/** Result of summing a series directly: the sum is sum × e^logScale. */
export interface SeriesResult {
  sum: number;
  /** Σ|term| on the same scale: absSum/|sum| bounds the rounding error amplification (cancellation). */
  absSum: number;
  logScale: number;
  converged: boolean;
}

const RESCALE = 1e200;
const MIN_NORMAL = 2.2250738585072014e-308;
const LOG_RESCALE = log(RESCALE);

/**
 * The defining series Σ (a)_n (b)_n / ((c)_n n!) zⁿ (A&S 15.1.1), for |z| < 1 or a terminating series.
 * It stops once the tail, bounded geometrically by `ratioBound`, is below machine precision relative
 * to the partial sum. The partial sums are rescaled by 1e200 whenever they grow past it: with large
 * parameters (a BG/NBD customer with x in the thousands) the terms climb far beyond the double range
 * before they decay, although the final product with its power prefactor is moderate. The term budget
 * is large on purpose: near z = 1 the series needs ≈ 37/(1 − z) terms, and slow is better than wrong.
 */
function series(a: number, b: number, c: number, z: number, maxTerms = 20_000_000, rescale = true): SeriesResult {
  let term = 1;
  let sum = 1;
  let absSum = 1;
  let logScale = 0;
  for (let n = 0; n < maxTerms; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    // Terminated (a or b a non-positive integer), or the terms fell below the smallest normal double:
    // from there they only lose precision (a subnormal times a ratio near 1 can round back to itself
    // for ever: with c ≈ −7e9, as a fit without heterogeneity in dropout gives, 100,000 terms were
    // summed that way each time, the stopping rule below being unable to certify while c + n < 0),
    // and adding them no longer changes a sum of any normal size.
    if (abs(term) < MIN_NORMAL) return { sum, absSum, logScale, converged: true };
    sum += term;
    absSum += abs(term);
    if (absSum > RESCALE) {
      // A caller that cannot use a rescaled sum stops here rather than at the term budget.
      if (!rescale) return { sum, absSum, logScale, converged: false };
      term /= RESCALE;
      sum /= RESCALE;
      absSum /= RESCALE;
      logScale += LOG_RESCALE;
    }
    const rho = ratioBound(z, n + 1, a, b, c, 1);
    if (rho < 1 && (abs(term) * rho) / (1 - rho) <= 1e-17 * abs(sum)) return { sum, absSum, logScale, converged: true };
    if (!Number.isFinite(absSum)) return { sum, absSum, logScale, converged: false };
  }
  return { sum, absSum, logScale, converged: false };
}

/** The number a value in log scale stands for: mantissa × e^logScale, computed only at the end. */
export interface Scaled {
  value: number;
  logScale: number;
  /** Σ|terms| / |value| of the evaluation: how much rounding error could have been amplified. */
  condition: number;
}

/** Direct series, or Euler's transformation 2F1(a,b;c;z) = (1−z)^{c−a−b} 2F1(c−a,c−b;c;z) (A&S 15.3.3). */
function seriesBestOfEuler(a: number, b: number, c: number, z: number): Scaled {
  const direct = (): Scaled | null => {
    const s = series(a, b, c, z);
    return s.converged ? { value: s.sum, logScale: s.logScale, condition: s.absSum / abs(s.sum) } : null;
  };
  const euler = (): Scaled | null => {
    const s = series(c - a, c - b, c, z);
    return s.converged ? { value: s.sum, logScale: s.logScale + (c - a - b) * log1p(-z), condition: s.absSum / abs(s.sum) } : null;
  };
  // Try first the form whose first coefficient is smaller: its terms grow less before they decay. If it
  // cancels badly or does not converge, the other form usually does not (e.g. b − c small and positive).
  const eulerFirst = abs((c - a) * (c - b)) < abs(a * b);
  const first = eulerFirst ? euler() : direct();
  if (first && first.condition < 1e3) return first;
  const second = eulerFirst ? direct() : euler();
  if (!first) return second ?? { value: NaN, logScale: 0, condition: Infinity };
  if (!second) return first;
  return second.condition < first.condition ? second : first;
}

/**
 * 1 − z transformation (A&S 15.3.6): both new series have argument 1 − z, so near z = 1 they converge
 * in a few dozen terms where the direct series needs thousands. It is singular when c − a − b is an
 * integer (Γ poles cancel analytically), so it is only used at least 0.02 away from one; the cancellation
 * between its two terms is ~1/distance, i.e. < 2 decimal digits.
 */
function oneMinusZ(a: number, b: number, c: number, z: number): Scaled | null {
  const s = c - a - b;
  if (abs(s - round(s)) < 0.02) return null;
  const w = 1 - z;
  // Near z = 1 both series are short and moderate; anything else is left to the other routes. A series
  // whose terms pass 1e200 is given up at once (it could only end rescaled, which is refused here):
  // with the huge a and b of a fit without heterogeneity in dropout it would otherwise run its whole
  // budget of 100,000 terms, many times per analytics run, for nothing.
  const f1 = series(a, b, 1 - s, w, 100_000, false);
  if (!f1.converged || f1.logScale !== 0) return null;
  const f2 = series(c - a, c - b, 1 + s, w, 100_000, false);
  if (!f2.converged || f2.logScale !== 0) return null;
  const g1 = gammaRatio(c, s, c - a, c - b);
  const g2 = gammaRatio(c, -s, a, b);
  if (!Number.isFinite(g1) || !Number.isFinite(g2)) return null;
  // Scale both terms relative to the larger power of w, so that w^s cannot overflow by itself.
  const logW = log(w);
  const t1 = g1 * f1.sum;
  const t2abs = g2 * f2.sum;
  const logScale = s < 0 ? s * logW : 0;
  const value = s < 0 ? t1 * exp(-s * logW) + t2abs : t1 + t2abs * exp(s * logW);
  const mag =
    s < 0
      ? abs(g1) * f1.absSum * exp(-s * logW) + abs(g2) * f2.absSum
      : abs(g1) * f1.absSum + abs(g2) * f2.absSum * exp(s * logW);
  if (!Number.isFinite(value) || value === 0) return null;
  return { value, logScale, condition: mag / abs(value) };
}

function positiveZ(a: number, b: number, c: number, z: number): Scaled {
  if (z > 0.9) {
    const t = oneMinusZ(a, b, c, z);
    if (t && t.condition < 1e3) return t;
  }
  return seriesBestOfEuler(a, b, c, z);
}

/**
 * Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and real z < 1 (and z = 1 when
 * c − a − b > 0, by Gauss's theorem). NaN where it is undefined (c a non-positive integer without an
 * earlier termination, z > 1) or where no evaluation route reached full convergence.
 *
 * Routes: terminating polynomial when a or b is a non-positive integer; z < 0 → Pfaff's transformation
 * (A&S 15.3.4) onto z/(z−1) ∈ (0, 1); 0 < z ≤ 0.9 → the series, directly or after Euler's transformation,
 * whichever sums with less cancellation; z > 0.9 → the 1 − z transformation when c − a − b is not near an
 * integer, else the series (exact, just longer: ≈ 3,700 terms at z = 0.99, 37,000 at 0.999).
 * Accuracy: ~1e−14 relative for moderate parameters and z ≤ 0.99 (checked against closed forms and
 * Euler's integral in the tests); on the series route rounding grows with the term count, to ~6e−13 at
 * z = 0.9999. Beyond ~1 − 1e−6 the series budget runs out and the result is NaN, never a wrong number.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const r = hyp2f1Scaled(a, b, c, z);
  if (!Number.isFinite(r.value) || !Number.isFinite(r.condition)) return NaN;
  return r.value * exp(r.logScale);
}

const exact = (value: number): Scaled => ({ value, logScale: 0, condition: Number.isNaN(value) ? Infinity : 1 });

/**
 * ₂F₁ as value × e^logScale, so that a caller multiplying by a power (the BG/NBD does) can combine the
 * exponents before anything overflows. `condition` is the evaluation's cancellation factor; a
 * non-finite value or condition means "not evaluated".
 */
export function hyp2f1Scaled(a: number, b: number, c: number, z: number): Scaled {
  if ([a, b, c, z].some(Number.isNaN)) return exact(NaN);
  if (z === 0) return exact(1);
  const terminates = isNonPositiveInteger(a) || isNonPositiveInteger(b);
  if (isNonPositiveInteger(c)) {
    // Defined only if the series stops before (c)_n reaches zero.
    const degree = max(isNonPositiveInteger(a) ? -a : -Infinity, isNonPositiveInteger(b) ? -b : -Infinity);
    if (!(degree < -c)) return exact(NaN);
  }
  if (terminates) {
    const s = series(a, b, c, z, 2 + max(abs(a), abs(b)));
    // A polynomial may have a root exactly here; that is a value, not a failed evaluation.
    return { value: s.sum, logScale: s.logScale, condition: s.sum === 0 ? 1 : s.absSum / abs(s.sum) };
  }
  if (z > 1) return exact(NaN);
  if (z === 1) {
    // Gauss's summation theorem (A&S 15.1.20); the series diverges at z = 1 unless c − a − b > 0.
    return exact(c - a - b > 0 ? gammaRatio(c, c - a - b, c - a, c - b) : NaN);
  }
  if (z < 0) {
    // Pfaff: ₂F₁(a,b;c;z) = (1−z)^{−a} ₂F₁(a, c−b; c; z/(z−1)); the positive-z routes then also try
    // Euler's form, which is the other Pfaff variant, so the choice between the two is not lost.
    const w = z / (z - 1);
    const inner = w > 0 ? positiveZ(a, c - b, c, w) : exact(1);
    return { value: inner.value, logScale: inner.logScale - a * log1p(-z), condition: inner.condition };
  }
  return positiveZ(a, b, c, z);
}

/**
 * ψ(x + d) − ψ(x) for x > 0, x + d > 0 (ψ = Γ′/Γ, the digamma function): the derivative of
 * `logGammaDiff` in x, which the likelihoods' analytic gradients need. Small whole d sums the recurrence
 * ψ(u + 1) = ψ(u) + 1/u exactly (Σ_{k<d} 1/(x+k)); otherwise both arguments are shifted to ≥ 10 by that
 * recurrence and the asymptotic series ψ(u) = ln u − 1/(2u) − Σ B_{2k}/(2k u^{2k}) (A&S 6.3.18; the next
 * term after u⁻¹⁴ is < 1e−17 at u ≥ 10) is differenced with ln((x+d)/x) taken as log1p(d/x), so that a
 * huge x (a fit running out along a ridge) loses nothing to cancellation.
 */
export function digammaDiff(x: number, d: number): number {
  if (d === 0) return 0;
  if (Number.isInteger(d) && d > 0 && d <= 64) {
    let s = 0;
    for (let k = 0; k < d; k++) s += 1 / (x + k);
    return s;
  }
  // ψ(u) = ψ(u + 1) − 1/u: shifting both arguments by one adds 1/u − 1/v = δ/(u·v), δ = d, kept as
  // one term so that a small d loses nothing to cancellation.
  let u = x;
  let v = x + d;
  const delta = d; // not v − u: x + d is rounded, and for d ≪ x that loses d's low bits
  let acc = 0;
  while (min(u, v) < 10) {
    acc += delta / (u * v);
    u += 1;
    v += 1;
  }
  return acc + log1p(delta / u) + (0.5 * delta) / (u * v) - digammaTailDiff(u, v, delta);
}

/** B_{2k}/(2k), k = 1..7: the coefficients of u^{−2k} in the tail of ψ's asymptotic series. */
const DIGAMMA_TAIL = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12];

/**
 * tail(v) − tail(u), tail(w) = Σ_k c_k w^{−2k}, for v − u = δ, without subtracting the two tails (each about
 * 1/(12u²), their difference about δ/(6u³): for a small δ the subtraction would keep only its high bits).
 * With a = v⁻², b = u⁻²: a − b = −δ(u + v)/(u²v²), and a^k − b^k = (a − b)·s_k, s_1 = 1, s_{k+1} = a·s_k + b^k.
 */
function digammaTailDiff(u: number, v: number, delta: number): number {
  const a = 1 / (v * v);
  const b = 1 / (u * u);
  const aMinusB = (-delta * (u + v)) * (a * b);
  let s = 1;
  let bk = b;
  let sum = DIGAMMA_TAIL[0] * s;
  for (let k = 1; k < DIGAMMA_TAIL.length; k++) {
    s = a * s + bk;
    bk *= b;
    sum += DIGAMMA_TAIL[k] * s;
  }
  return aMinusB * sum;
}
