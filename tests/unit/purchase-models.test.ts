/**
 * MBG/NBD next to BG/NBD, model choice by holdout log-likelihood, standard errors from the numerical
 * Hessian, and the calibration/holdout comparison — checked on customers simulated from known
 * parameters (src/analytics/models/simulate.ts, fixed seeds).
 */
import {
  auc,
  betaGeoExpectedPurchases,
  betaGeoProbabilityAlive,
  betaGeoProbabilityNoPurchase,
  betaGeoStandardErrors,
  BgNbdParams,
  bgNbdExpectedPurchases,
  bgNbdProbabilityAlive,
  chooseBetaGeoModel,
  compareHoldout,
  discountedExpectedPurchases,
  discountedPurchasesIfAlive,
  rng,
  simulateCustomers,
  standardErrors,
} from '../../src/analytics/models';
import { validationChartSvg } from '../../src/analytics/validation-chart';
import { formatValidationReport, type ValidationReport } from '../../src/analytics/validate';

const P: BgNbdParams = { r: 0.5, alpha: 8, a: 0.8, b: 2.5 };

describe('MBG/NBD closed forms', () => {
  it('lets a one-time buyer drop out, the longer ago the likelier; the BG/NBD cannot', () => {
    expect(bgNbdProbabilityAlive(P, 0, 0, 100)).toBe(1);
    const early = betaGeoProbabilityAlive('mbgnbd', P, 0, 0, 5);
    const late = betaGeoProbabilityAlive('mbgnbd', P, 0, 0, 100);
    expect(late).toBeLessThan(early);
    // At T = 0 only the dropout right after the first purchase has had a chance: P(alive) = E[1 − p] = b/(a+b).
    expect(betaGeoProbabilityAlive('mbgnbd', P, 0, 0, 0)).toBeCloseTo(P.b / (P.a + P.b), 14);
  });

  it('P(no purchase in t) of a brand-new customer is P(dead at 0) + P(alive)·(α/(α+t))^r', () => {
    const t = 13;
    const want = P.a / (P.a + P.b) + (P.b / (P.a + P.b)) * (P.alpha / (P.alpha + t)) ** P.r;
    expect(betaGeoProbabilityNoPurchase('mbgnbd', P, t, 0, 0, 0)).toBeCloseTo(want, 14);
    expect(betaGeoProbabilityNoPurchase('bgnbd', P, t, 0, 0, 0)).toBeCloseTo((P.alpha / (P.alpha + t)) ** P.r, 14);
  });

  it('keeps the BG/NBD functions equal to the generic ones, and discounting factorises through P(alive)', () => {
    expect(betaGeoExpectedPurchases('bgnbd', P, 20, 3, 10, 30)).toBe(bgNbdExpectedPurchases(P, 20, 3, 10, 30));
    const d = discountedExpectedPurchases(P, 3, 10, 30);
    expect(d).toBeCloseTo(bgNbdProbabilityAlive(P, 3, 10, 30) * discountedPurchasesIfAlive('bgnbd', P, 3, 30), 12);
  });

  it('predicts the mean holdout purchases of simulated customers (Monte Carlo, true parameters)', () => {
    const cs = simulateCustomers({ model: 'mbgnbd', params: P, customers: 20_000, seed: 3 });
    const predicted = cs.reduce((s, c) => s + betaGeoExpectedPurchases('mbgnbd', P, 39, c.x, c.tx, c.T), 0);
    const actual = cs.reduce((s, c) => s + c.holdout, 0);
    expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.03);
  });
});

describe('auc and standard errors', () => {
  it('computes the Mann–Whitney AUC with ties', () => {
    expect(auc([0.1, 0.2, 0.3, 0.4], [false, false, true, true])).toBe(1);
    expect(auc([0.4, 0.3, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
    expect(auc([1, 2, 2, 3], [false, true, false, true])).toBe(0.875);
  });

  it('matches the analytic standard error of a Poisson rate, sqrt(λ/n)', () => {
    const g = rng(5);
    const n = 2000;
    const counts = Array.from({ length: n }, () => {
      let k = 0;
      for (let t = -Math.log(g.uniform()); t < 3; t += -Math.log(g.uniform())) k++;
      return k;
    });
    const lambda = counts.reduce((s, k) => s + k, 0) / n;
    const ll = (p: { lambda: number }) => counts.reduce((s, k) => s + k * Math.log(p.lambda) - p.lambda, 0);
    const se = standardErrors(ll, { lambda }, ['lambda']);
    expect(se.lambda / Math.sqrt(lambda / n) - 1).toBeCloseTo(0, 4);
  });
});

describe('recovery from customers simulated with known parameters', () => {
  /**
   * 10,000 customers acquired over 12 weeks, calibration to week 39, holdout to week 78 (CDNOW's design).
   * Over seeds 1–5 at this size (both models) the fitted parameters were within 2 SE of the truth in 35
   * of 40 cases (within 1 SE in 26); the misses were a and b on two seeds, whose likelihood is skewed so
   * that Wald intervals are the least reliable. The holdout choice picked the generating model 9 times in
   * 10; holdout totals were within 6 % (the true parameters themselves miss by up to 2 %: holdout noise).
   * The seed is fixed, so the test is deterministic; the thresholds are the claims: every parameter
   * within 2 standard errors, the total within 5 %, the generating model chosen, churn ranking better
   * than recency alone.
   */
  for (const model of ['bgnbd', 'mbgnbd'] as const) {
    it(`recovers the ${model} parameters and the holdout totals`, () => {
      const cs = simulateCustomers({ model, params: P, customers: 10_000, seed: 1 });
      const cal = { x: cs.map((c) => c.x), tx: cs.map((c) => c.tx), T: cs.map((c) => c.T) };
      const full = { x: cs.map((c) => c.xFull), tx: cs.map((c) => c.txFull), T: cs.map((c) => c.TFull) };
      const choice = chooseBetaGeoModel(cal, full);
      expect(choice.model).toBe(model);
      const fit = choice.candidates.find((c) => c.model === model)!;
      const se = betaGeoStandardErrors(model, fit.params, cal);
      for (const k of ['r', 'alpha', 'a', 'b'] as const) {
        expect(se[k]).toBeGreaterThan(0);
        expect({ [k]: Math.abs(fit.params[k] - P[k]) <= 2 * se[k] }).toEqual({ [k]: true });
      }
      const cmp = compareHoldout(model, fit.params, cs, 39);
      expect(cmp.total.actual).toBe(cs.reduce((s, c) => s + c.holdout, 0));
      expect(Math.abs(cmp.total.predicted / cmp.total.actual - 1)).toBeLessThan(0.05);
      // Per-bucket: the 8 buckets partition the customers.
      expect(cmp.buckets.reduce((s, b) => s + b.customers, 0)).toBe(10_000);
      expect(cmp.churnAuc).toBeGreaterThan(cmp.recencyAuc);

      // The report and chart render what was computed.
      const report: ValidationReport = {
        calibrationEnd: new Date('2025-01-01T00:00:00Z'), holdoutEnd: new Date('2025-07-02T00:00:00Z'), holdoutWeeks: 39, customers: cs.length,
        choice, chosen: fit, standardErrors: se, comparison: cmp,
      };
      const text = formatValidationReport(report);
      expect(text).toContain(`total`);
      expect(text).toContain(cmp.churnAuc.toFixed(3));
      const svg = validationChartSvg(report);
      expect(svg.startsWith('<svg')).toBe(true);
      for (const b of cmp.buckets) expect(svg).toContain(`>${b.label}</text>`);
      expect((svg.match(/<circle /g) ?? []).length).toBe(cmp.buckets.filter((b) => b.customers > 0).length);
    });
  }
});
