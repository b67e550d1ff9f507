/**
 * The statistics behind campaign results, pure so the simulation test runs them on generated data
 * (README "Campaign insights" defines every figure). 95 % intervals throughout.
 *
 * - A rate difference (uplift, variant acceptance) uses Newcombe's hybrid score interval (his
 *   method 10, built from two Wilson intervals): unlike the Wald interval it keeps its coverage
 *   with small rates and small groups, and is never wider than [−1, 1].
 * - A relative uplift (ratio of rates − 1) uses the Katz log interval; null while either group has
 *   no converter (the ratio is not estimable).
 * - A difference of means (revenue per customer) uses Welch's standard error with the normal
 *   quantile: revenue per customer is skewed, and the interval is only as good as the groups are large.
 */
export const Z95 = 1.959963984540054;
/** 80 % power, for the sample size a "no difference yet" verdict asks for. */
export const Z80 = 0.8416212335729143;

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export function wilson(x: number, n: number, z = Z95): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** p1 − p2 with Newcombe's hybrid score interval; null when a group is empty. */
export function rateDifference(x1: number, n1: number, x2: number, n2: number): Interval | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const a = wilson(x1, n1);
  const b = wilson(x2, n2);
  const d = p1 - p2;
  return {
    estimate: d,
    low: d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/** p1 / p2 − 1 with the Katz log interval; null unless both groups have converters. */
export function relativeDifference(x1: number, n1: number, x2: number, n2: number): Interval | null {
  if (n1 <= 0 || n2 <= 0 || x1 <= 0 || x2 <= 0) return null;
  const rr = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return { estimate: rr - 1, low: rr * Math.exp(-Z95 * se) - 1, high: rr * Math.exp(Z95 * se) - 1 };
}

/** A group's per-customer values summarised as SQL returns them: count, sum and sum of squares. */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

export const mean = (m: Moments): number | null => (m.n > 0 ? m.sum / m.n : null);

function variance(m: Moments): number {
  if (m.n < 2) return 0;
  return Math.max(0, (m.sumSq - (m.sum * m.sum) / m.n) / (m.n - 1));
}

/** mean1 − mean2 with Welch's standard error; null when a group is empty. */
export function meanDifference(a: Moments, b: Moments): Interval | null {
  if (a.n <= 0 || b.n <= 0) return null;
  const d = a.sum / a.n - b.sum / b.n;
  const se = Math.sqrt(variance(a) / a.n + variance(b) / b.n);
  return { estimate: d, low: d - Z95 * se, high: d + Z95 * se };
}

/** Customers needed in EACH group to detect a difference of rates p1 vs p2 (two-sided 5 %, 80 % power). */
export function sampleSizePerGroup(p1: number, p2: number): number | null {
  const d = Math.abs(p1 - p2);
  if (d === 0) return null;
  return Math.ceil(((Z95 + Z80) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2))) / (d * d));
}

/**
 * A plain-words verdict on "B against A" from the interval of B − A: better or worse when the
 * interval excludes 0; otherwise "no difference yet" with the customers each group would need to
 * tell the observed difference apart (none can be given when the rates are equal).
 */
export function verdict(labelB: string, labelA: string, diff: Interval | null, pB: number | null, pA: number | null, nB: number, nA: number): string {
  if (!diff || pA == null || pB == null) return 'not enough data yet';
  if (diff.low > 0) return `${labelB} better than ${labelA}`;
  if (diff.high < 0) return `${labelA} better than ${labelB}`;
  const need = sampleSizePerGroup(pB, pA);
  if (need == null) return 'no difference yet';
  const more = Math.max(0, need - Math.min(nA, nB));
  return more > 0
    ? `no difference yet; about ${need} customers per group (${more} more) would tell a difference this size apart`
    : 'no difference yet; the observed difference is within chance at this sample size';
}
