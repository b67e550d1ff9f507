/**
 * Special functions of src/analytics/models (ln Γ, ₂F₁ and their helpers) and the column helpers,
 * against values computed with mpmath (loggamma, hyp2f1 at 40–50 digits: an independent implementation)
 * and exact identities. Fast (well under a second): the mutation scope `models-special` runs this file
 * for every mutant (stryker.config.mjs).
 *
 * Tolerances: a double carries ~1.1e−16 relative; the module documents ~1e−15 absolute for ln Γ below
 * 15 and ~1e−14 relative for ₂F₁ at moderate parameters and z ≤ 0.99 (6e−13 at z = 0.9999). The bounds
 * below are a few times those figures, far below what any changed operator produces.
 */
import {
  hyp2f1,
  logGamma,
} from '../../src/analytics/models';
import { checkColumns, indexDistinct } from '../../src/analytics/models/common';
import { digammaDiff, gammaSign, hyp2f1Scaled, logGammaDiff, ratioBound, sinPi } from '../../src/analytics/models/special';

const { abs, log } = Math;
const relErr = (got: number, want: number): number => abs(got / want - 1);

// ---------------------------------------------------------------------------------------------
describe('special functions', () => {

  it('digammaDiff is ψ(x + d) − ψ(x) (mpmath, scripts/model-references.py), whole and fractional d, huge x', () => {
    // [x, d, ψ(x + d) − ψ(x)] at 50 digits. Whole 0 < d ≤ 64 sums 1/(x + k); the rest shifts to ≥ 10 and
    // differences the asymptotic series, log1p keeping x = 1e7 free of cancellation.
    const DIGAMMA_DIFF: Array<[number, number, number]> = [
      [0.3, 5, 5.072935153824941],
      [2.5, 0.7, 0.2956822506413564],
      [10000000.0, 3.25, 3.249999634375067e-07],
      [0.01, 1000000.0, 114.37639552583286],
      [4e-08, 200000.0, 25000012.783285744],
      [20, 100.5, 1.8169706440232525],
      [1.5, 64, 4.137907157441568],
      [1.5, 65, 4.153174333014087],
      [3.75, 0.0009765625, 0.00029813932900446695],
      [0.001, 2.5, 1001.279218812147],
      [12.5, 7.25, 0.47242779810395163],
      // At u = 10 itself (no shift) the last term of the tail, u⁻¹⁴/12, is 2e−14 of the answer.
      [10, 0.25, 0.025952201620002863],
      // A negative whole d (x + d > 0 still): not the positive-d sum, which would add no term and return 0.
      [5.5, -2, -0.5079365079365079],
      [7.25, -3, -0.5857703081232493],
      // d ≪ x: the rounded x + d loses d's low bits (δ is d itself), and the two tails of the series
      // differ only in their low bits (differenced analytically): 5.5e−13 and 1.2e−12 off before.
      [9.5, 0.001, 0.00011099113500061227],
      [3.2, 1e-07, 3.663211840914006e-08],
      [1000000.0, 0.001, 1.0000004995001662e-09],
    ];
    for (const [x, d, want] of DIGAMMA_DIFF) expect({ x, d, ok: relErr(digammaDiff(x, d), want) < 4e-15 }).toEqual({ x, d, ok: true });
    expect(digammaDiff(3, 0)).toBe(0);
    // It is the derivative of logGammaDiff in x: ∂/∂x [ln Γ(x + d) − ln Γ(x)] by a central difference.
    for (const [x, d] of [[2.5, 0.7], [40, 3], [0.2, 120.5]]) {
      const h = 1e-5 * x;
      expect(relErr((logGammaDiff(x + h, d) - logGammaDiff(x - h, d)) / (2 * h), digammaDiff(x, d))).toBeLessThan(1e-7);
    }
  });
  it('digammaDiff(x, 0) is exactly 0, also at an x whose square underflows (a fit driving r towards 0, x = 0 purchases)', () => {
    for (const x of [1e-200, 1e-320, 2.5, 1e9]) expect({ x, d: digammaDiff(x, 0) }).toEqual({ x, d: 0 });
  });
  it('sinPi is sin(πx) after exact argument reduction: 0 at integers, exact signs either side', () => {
    for (const k of [-3, -2, -1, 0, 1, 2, 3, 10]) expect(abs(sinPi(k))).toBe(0);
    const cases: Array<[number, number]> = [
      [0.5, 1],
      [1.5, -1],
      [-0.5, -1],
      [-1.5, 1],
      [2.5, 1],
      [1 / 6, 0.5],
      [5 / 6, 0.5],
      [7 / 6, -0.5],
      [-1 / 6, -0.5],
      [0.25, Math.SQRT1_2],
      [0.75, Math.SQRT1_2],
      [1.25, -Math.SQRT1_2],
      [-2.75, -Math.SQRT1_2],
      [3.9, -Math.sin(0.1 * Math.PI)],
    ];
    for (const [x, want] of cases) expect({ x, err: abs(sinPi(x) - want) < 4e-16 }).toEqual({ x, err: true });
  });

  it('logGamma matches mpmath across the reflection, shift and Stirling ranges', () => {
    // [x, ln|Γ(x)|] from mpmath.loggamma / log|gamma| at 40 digits.
    const table: Array<[number, number]> = [
      [0.1, 2.252712651734206],
      [0.3, 1.0957979948180756],
      [0.49, 0.592249629335267],
      [0.5, 0.5723649429247001],
      [0.75, 0.20328095143129538],
      [1.5, -0.12078223763524522],
      [3.3, 0.9870985778947344],
      [7.25, 7.0521854507385395],
      [14.5, 23.862765841689086],
      [14.999, 25.18854687054693],
      [15, 25.19122118273868],
      [15.5, 26.536914491115613],
      [20.25, 40.08411059791735],
      [100.5, 361.4355404677776],
      [1e7, 151180949.3694739],
      [-0.5, 1.2655121234846454],
      [-2.5, -0.056243716497674054],
      [-1.25, 1.3664317612369763],
      [-0.1, 2.3689613327287886],
    ];
    for (const [x, want] of table) {
      const err = abs(logGamma(x) - want) / Math.max(1, abs(want));
      expect({ x, err: err < 1e-14 }).toEqual({ x, err: true });
    }
    expect(logGamma(NaN)).toBeNaN();
    expect(logGamma(Infinity)).toBe(Infinity);
    for (const pole of [0, -1, -2, -7]) expect(logGamma(pole)).toBe(Infinity);
    // Factorials exactly representable: ln 14! and ln 15! on both sides of the Stirling switch.
    expect(abs(logGamma(15) - log(87178291200))).toBeLessThan(4e-15);
    expect(abs(logGamma(16) - log(1307674368000))).toBeLessThan(4e-15);
    expect(abs(logGamma(2))).toBeLessThan(1e-14);
  });

  it('logGammaDiff = ln Γ(x+d) − ln Γ(x) without cancellation, on both routes', () => {
    const table: Array<[number, number, number]> = [
      [20, 5, 15.444845210912826],
      [20, -6, -16.78772033407607],
      [3, 4, 5.886104031450156],
      [15, 0.5, 1.345693308376932],
      [1e7, 3, 48.35428725287493],
      [1e7, 2.5, 40.29523931489579],
      [1e5, 1e5, 1189921.6360350049],
      [30, 0.25, 0.8471657748399908],
    ];
    for (const [x, d, want] of table) {
      const err = abs(logGammaDiff(x, d) - want) / Math.max(1, abs(want));
      expect({ x, d, err: err < 3e-15 }).toEqual({ x, d, err: true });
    }
    // Exact: ln(20·21·22·23·24) and ln(20·21) for whole steps.
    expect(abs(logGammaDiff(20, 2) - log(420))).toBeLessThan(2e-15);
    // Each route where only it is accurate: Stirling's series is wrong by ~1e−3 at 1.5 or 2, so a step
    // from or to a small argument must go through ln Γ itself. ln Γ(22) − ln Γ(2) = ln 21!.
    expect(abs(logGammaDiff(2, 20) - 45.38013889847691)).toBeLessThan(1e-13);
    expect(abs(logGammaDiff(16, -14.5) - -28.020053621476137)).toBeLessThan(1e-13);
    expect(logGammaDiff(7.5, 0)).toBe(0);
    expect(logGammaDiff(1e9, 0)).toBe(0);
  });

  it('gammaSign: +1 for x > 0, 0 at the poles, alternating between the poles', () => {
    const cases: Array<[number, number]> = [
      [3, 1],
      [0.2, 1],
      [0, 0],
      [-1, 0],
      [-4, 0],
      [-0.5, -1],
      [-1.5, 1],
      [-2.5, -1],
      [-3.25, 1],
    ];
    for (const [x, want] of cases) expect({ x, s: gammaSign(x) }).toEqual({ x, s: want });
  });

  it('ratioBound is |u| times the smaller pairing of max((p+n)/(q+n), 1), Infinity until all shifts are positive', () => {
    // Pairings at n = 1: (2/4→1)·(3/2) = 1.5 vs (2/2→1)·(3/4→1) = 1; the smaller wins.
    expect(ratioBound(0.5, 1, 1, 2, 3, 1)).toBe(0.5);
    expect(ratioBound(-0.5, 1, 1, 2, 3, 1)).toBe(0.5);
    // n = 2: (7/4)·1 = 1.75 vs (7/3)·1 = 2.333.
    expect(ratioBound(-0.8, 2, 5, 1, 2, 1)).toBeCloseTo(0.8 * 1.75, 15);
    expect(ratioBound(0.8, 2, 1, 5, 1, 2)).toBeCloseTo(0.8 * 1.75, 15);
    // Each parameter shifted to exactly 0 or below: no bound yet.
    expect(ratioBound(0.5, 1, -1, 2, 3, 1)).toBe(Infinity);
    expect(ratioBound(0.5, 1, 2, -1, 3, 1)).toBe(Infinity);
    expect(ratioBound(0.5, 1, 2, 3, -1, 1)).toBe(Infinity);
    expect(ratioBound(0.5, 1, 2, 3, 1, -1)).toBe(Infinity);
    expect(ratioBound(0.5, 2, 2, 3, 1, -3)).toBe(Infinity);
    expect(ratioBound(0.5, 1, -0.5, 2, 3, 1)).toBeCloseTo(0.5, 15);
    // A denominator shifted below 0 flips the sign of its factor: no bound either.
    expect(ratioBound(0.5, 1, 2, 3, -3, 1)).toBe(Infinity);
    expect(ratioBound(0.5, 1, 2, 3, 1, -3)).toBe(Infinity);
  });

  it('hyp2f1 matches mpmath on every route (Pfaff, direct/Euler series, 1−z transformation, long series)', () => {
    // [a, b, c, z, 2F1] from mpmath.hyp2f1 at 50 digits.
    const table: Array<[number, number, number, number, number, number]> = [
      [0.7, 1.3, 2.1, -0.5, 0.8337793734524943, 5e-14],
      [2.243, 4.426, 4.219, -3, 0.03990589422365211, 5e-14],
      [1, 1, 2, -80, 0.05493061443340549, 5e-14],
      [2.243, 4.426, 4.219, 0.5, 5.161693901383613, 5e-14],
      [0.3, 1.2, 3.7, 0.5, 1.0582307543165912, 5e-14],
      [0.3, 1.2, 3.7, 0.9, 1.131027461130672, 5e-14],
      [0.5, 0.5, 1.5, 0.95, 1.380231154269966, 5e-14],
      [2.243, 4.426, 4.219, 0.95, 1344.3402781759899, 5e-14],
      [2.243, 4.426, 4.219, 0.995, 374524.15861749, 5e-14],
      [1, 1, 2, 0.95, 3.1534023932147264, 5e-14],
      [1, 1, 2, 0.9999, 9.211261498126106, 2e-12],
      [0.3, 1.2, 3.7, 0.97, 1.1499240449760662, 5e-14],
      [26.243, 28.426, 28.219, 0.6, 33237064884.615623, 5e-14],
      [0.5, 1e7, 1e7 + 1, 0.5, 1.4142134916624347, 5e-14],
      [1.5, 2.5, 0.5, 0.3, 7.6661893310077724, 5e-14],
      [1.5, 2.5, -0.5, 0.3, -23.695494295842202, 5e-14],
      [-1.5, 2.5, 0.7, 0.99, 3.091602712400971, 5e-14],
      [3.5, 1.2, 2.2, 0.92, 284.1950694907894, 5e-14],
    ];
    for (const [a, b, c, z, want, tol] of table) {
      const err = relErr(hyp2f1(a, b, c, z), want);
      expect({ a, b, c, z, err: err < tol }).toEqual({ a, b, c, z, err: true });
    }
  });

  it('hyp2f1 where only one route can answer: z within 1e−7 of 1, Γ poles in the 1−z form, cancelling series', () => {
    // [a, b, c, z, mpmath value at the double z]. Near z = 1 the series would need ~37/(1−z) ≈ 4e8 terms
    // (over its 2e7 budget): only the 1−z transformation answers. In rows 3–4 c − a = −1 and c − b = −2,
    // poles of Γ in a denominator: that term of the transformation must vanish exactly.
    const near: Array<[number, number, number, number, number]> = [
      [0.5, 0.5, 1.5, 1 - 1e-8, 1.5706963346479605],
      [2.243, 4.426, 4.219, 1 - 1e-8, 3.4304471296660763e19],
      [2.5, 0.3, 1.5, 1 - 1e-7, 251785183.24515346],
      [0.3, 3.5, 1.5, 1 - 1e-7, 1309282671564743.0],
      [0.3, 1.2, 2.01, 1 - 1e-7, 1.662267909714198],
    ];
    for (const [a, b, c, z, want] of near) {
      const err = relErr(hyp2f1(a, b, c, z), want);
      expect({ a, b, c, err: err < 5e-14 }).toEqual({ a, b, c, err: true });
    }
    // The direct series of ₂F₁(−20.5, 1; 2; 0.9) alternates and cancels ~1e6-fold; Euler's form does not.
    expect(relErr(hyp2f1(-20.5, 1, 2, 0.9), 0.05167958656330749)).toBeLessThan(5e-14);
    expect(relErr(hyp2f1(1, -20.5, 2, 0.9), 0.05167958656330749)).toBeLessThan(5e-14);
    // z → −∞ (Pfaff's w = z/(z−1) is then NaN): ₂F₁ → 0 for a, b > 0.
    expect(hyp2f1(1, 1, 2, -Infinity)).toBe(0);
    expect(hyp2f1(0.7, 1.3, 2.1, -Infinity)).toBe(0);
  });

  it('hyp2f1: Gauss’s theorem at z = 1, polynomials, and NaN where undefined', () => {
    expect(relErr(hyp2f1(0.5, 0.5, 2, 1), 4 / Math.PI)).toBeLessThan(5e-14);
    expect(relErr(hyp2f1(0.3, 1.2, 3.7, 1), 1.1595231733804545)).toBeLessThan(5e-14);
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN(); // c − a − b = 0: the series diverges
    expect(hyp2f1(1, 1.5, 2, 1)).toBeNaN();
    expect(hyp2f1(1, 1, 2, 1.5)).toBeNaN();
    // Polynomials (a or b a non-positive integer) are defined for every z, with exact roots.
    expect(hyp2f1(-1, 1, 1, 1)).toBe(0);
    expect(hyp2f1(-1, 2, 4, 2)).toBe(0);
    expect(hyp2f1(-2, 1, 1, 3)).toBeCloseTo(4, 14); // (1 − z)²
    expect(hyp2f1(2.5, -3, 1.7, 0.4)).toBeCloseTo(1 - (3 * 2.5 * 0.4) / 1.7 + (3 * 2.5 * 3.5 * 0.16) / (1.7 * 2.7) - (2.5 * 3.5 * 4.5 * 0.064) / (1.7 * 2.7 * 3.7), 14);
    // c a non-positive integer: defined only if the polynomial ends before (c)_n reaches 0.
    expect(hyp2f1(-1, 2, -3, 0.5)).toBeCloseTo(1 + 1 / 3, 15);
    expect(hyp2f1(2, -1, -3, 0.5)).toBeCloseTo(1 + 1 / 3, 15);
    expect(hyp2f1(-3, 2, -2, 0.5)).toBeNaN();
    expect(hyp2f1(-2, 2, -2, 0.5)).toBeNaN();
    expect(hyp2f1(1, 1, -2, 0.5)).toBeNaN();
    expect(hyp2f1(1, 1, 0, 0.5)).toBeNaN();
    for (const args of [
      [NaN, 1, 2, 0.5],
      [1, NaN, 2, 0.5],
      [1, 1, NaN, 0.5],
      [1, 1, 2, NaN],
    ]) expect(hyp2f1(args[0], args[1], args[2], args[3])).toBeNaN();
    expect(hyp2f1(3, 4, 5, 0)).toBe(1);
    expect(hyp2f1(-2, 1, -5, 0)).toBe(1);
  });

  it('hyp2f1Scaled keeps huge values as mantissa × e^logScale', () => {
    // ln ₂F₁ from mpmath: the values themselves (e^2748, e^571) do not fit a double.
    const big: Array<[number, number, number, number, number]> = [
      [3000, 3000, 3001, 0.6, 2747.9561048839146],
      [800, 900, 400, 0.3, 571.2012701575389],
    ];
    for (const [a, b, c, z, want] of big) {
      const s = hyp2f1Scaled(a, b, c, z);
      expect(s.value).toBeGreaterThan(0);
      expect(abs(log(s.value) + s.logScale - want) / want).toBeLessThan(1e-13);
      expect(s.condition).toBeGreaterThanOrEqual(1);
      expect(s.condition).toBeLessThan(1e3);
    }
    expect(abs(log(hyp2f1(800, 900, 400, 0.3)) - 571.2012701575389)).toBeLessThan(1e-12);
    expect(hyp2f1(3000, 3000, 3001, 0.6)).toBe(Infinity); // e^2748 overflows a double
    // Series whose partial sums pass 1e200 before they converge (rescaled on the way), both signs.
    const rescaled: Array<[number, number, number, number, number, number]> = [
      [800.5, 900.25, 400.75, 0.3, 570.9130237404687, 1],
      [300.5, 300.5, -0.5, 0.5, 743.967726376721, -1],
      [300.5, 300.5, 0.75, 0.5, 734.6740239191518, 1],
    ];
    for (const [a, b, c, z, want, sign] of rescaled) {
      const r = hyp2f1Scaled(a, b, c, z);
      expect(Math.sign(r.value)).toBe(sign);
      expect(r.logScale).toBeGreaterThan(400);
      expect({ a, c, ok: abs(log(abs(r.value)) + r.logScale - want) / want < 1e-13 }).toEqual({ a, c, ok: true });
    }
    expect(hyp2f1Scaled(1, 1, 2, 0)).toEqual({ value: 1, logScale: 0, condition: 1 });
    expect(hyp2f1Scaled(NaN, 1, 2, 0.5)).toEqual({ value: NaN, logScale: 0, condition: Infinity });
    expect(hyp2f1Scaled(1, 1, 2, 1)).toEqual({ value: NaN, logScale: 0, condition: Infinity });
    expect(hyp2f1Scaled(-1, 1, 1, 1)).toEqual({ value: 0, logScale: 0, condition: 1 });
    // Pfaff's prefactor (1 − z)^{−a} goes into the log scale: ₂F₁(a, b; b; z) = (1 − z)^{−a}.
    const pf = hyp2f1Scaled(2, 3, 3, -1);
    expect(pf.value * Math.exp(pf.logScale)).toBeCloseTo(0.25, 14);
    // A polynomial's condition is Σ|terms| / |sum|: 1 + 2·2/4·… at z = −1: terms 1, 1 → 2/2.
    expect(hyp2f1Scaled(-1, 2, 4, -2).condition).toBe(1);
    expect(hyp2f1Scaled(-1, 2, 4, 1).condition).toBe(3); // 1 − 0.5: Σ|t| = 1.5, sum 0.5
  });

  it('hyp2f1Scaled rescales the partial sums of a series whose every route passes the largest double', () => {
    // ₂F₁(1000.5, 1000.25; 2001.75; 0.9) ≈ e^836 (mpmath, scripts/model-references.py): all terms
    // positive, and both the direct series (sum e^836) and Euler's (c − a − b > 0: sum e^839) pass
    // 1.8e308 before they converge; z = 0.9 is not the 1 − z route's. So no route answers unless the
    // partial sums are rescaled on the way.
    const huge = hyp2f1Scaled(1000.5, 1000.25, 2001.75, 0.9);
    expect(Number.isFinite(huge.value) && huge.value > 0).toBe(true);
    expect(abs(log(huge.value) + huge.logScale - 836.4931498794487)).toBeLessThan(1e-12);
    expect(huge.condition).toBeLessThan(1e3);
    expect(hyp2f1(1000.5, 1000.25, 2001.75, 0.9)).toBe(Infinity); // e^836 overflows a double
  });

  it('hyp2f1 stays NaN where undefined even when the terms underflow, or a NaN sits beside a polynomial', () => {
    // c a non-positive integer reached by (c)_n before the polynomial ends: undefined at every z, also
    // at z = 1e−200, where the second term (~1e−400) underflows to 0 before (c)_n reaches its zero;
    // whichever of a and b ends the polynomial, and when it ends exactly there.
    expect(hyp2f1(-3, 2, -2, 1e-200)).toBeNaN();
    expect(hyp2f1(2, -3, -2, 1e-200)).toBeNaN();
    expect(hyp2f1(-2, 2, -2, 1e-200)).toBeNaN();
    expect(hyp2f1(1, -1, -2, 1e-200)).toBe(1); // ends first: 1 + z/2 = 1 in a double
    // One NaN parameter beside a non-positive integer is not a value of the polynomial.
    expect(hyp2f1(NaN, -2, 1, 0.5)).toBeNaN();
    expect(hyp2f1(-2, NaN, 1, 0.5)).toBeNaN();
    expect(hyp2f1Scaled(NaN, -2, 1, 0.5)).toEqual({ value: NaN, logScale: 0, condition: Infinity });
  });
});

describe('column helpers', () => {
  it('indexDistinct lists each value once, in order of first appearance, with a row index', () => {
    const d = indexDistinct([3, 1, 3, 2, 1, 3]);
    expect(Array.from(d.values)).toEqual([3, 1, 2]);
    expect(Array.from(d.index)).toEqual([0, 1, 0, 2, 1, 0]);
  });

  it('checkColumns validates lengths and weights and returns the weights and their total', () => {
    expect(() => checkColumns('D', { a: [1, 2], b: [1] })).toThrow('D: column b has 1 rows, expected 2');
    expect(() => checkColumns('D', { a: [1, 2] }, [1])).toThrow('D: weights has 1 rows, expected 2');
    for (const w of [-1, NaN, Infinity]) expect(() => checkColumns('D', { a: [1, 2] }, [1, w])).toThrow(`D: weight at row 1 must be a finite number ≥ 0, got ${w}`);
    expect(() => checkColumns('D', { a: [1, 2] }, [0, 0])).toThrow('D: no data (total weight 0)');
    expect(() => checkColumns('D', { a: [] })).toThrow('D: no data (total weight 0)');
    const r = checkColumns('D', { a: [1, 2, 3] }, [0, 2.5, 1]);
    expect(Array.from(r.w)).toEqual([0, 2.5, 1]);
    expect(r.total).toBe(3.5);
    const ones = checkColumns('D', { a: [1, 2, 3], b: [4, 5, 6] });
    expect(Array.from(ones.w)).toEqual([1, 1, 1]);
    expect(ones.total).toBe(3);
  });
});
