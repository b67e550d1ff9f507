import { upliftFigures } from '../../src/campaigns/results';
import { mulberry32 } from '../../src/cli/seed';
import { campaignBucket, isControl, pickVariant } from '../../src/campaigns/holdout';
import { learnedValue } from '../../src/services/offer-ranking';
import { meanDifference, rateDifference, relativeDifference, sampleSizePerGroup, verdict, wilson } from '../../src/campaigns/stats';


/** A synthetic campaign: n customers per group, treated convert at p + delta, controls at p; revenue per converter 20–80 €. */
function simulate(seed: number, n: number, p: number, delta: number) {
  const r = mulberry32(seed);
  const group = (rate: number) => {
    const g = { customers: n, converters: 0, rev: 0, rev_sq: 0 };
    for (let i = 0; i < n; i++) {
      if (r() < rate) {
        const v = 2000 + Math.floor(r() * 6000);
        g.converters++;
        g.rev += v;
        g.rev_sq += v * v;
      }
    }
    return { campaign_id: 'c', variant_id: null, all_variants: true, control: false, accepted: 0, attr: 0, attr_sq: 0, disc: 0, ...g };
  };
  return { exposed: group(p + delta), control: group(p) };
}

describe('planted uplift (100 seeded runs, statistics as campaignMetrics computes them)', () => {
  const RUNS = 100;
  it.each([
    [0.1, 0.02, 1500],
    [0.05, 0.01, 3000],
    [0.2, 0.0, 800],
    [0.02, 0.01, 2000],
  ])('p = %p, Δ = %p, n = %p per group: the 95 %% CI covers Δ in at least 90 of 100 runs', (p, delta, n) => {
    let covered = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const { exposed, control } = simulate(seed * 7919 + n, n, p, delta);
      const u = upliftFigures(exposed, control).uplift!;
      if (u.low <= delta && delta <= u.high) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(90);
  });

  it('excludes 0 when Δ is large for the sample (p = 0.10, Δ = 0.05, n = 2000: power > 99 %)', () => {
    let excluded = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const { exposed, control } = simulate(seed * 104729, 2000, 0.1, 0.05);
      const f = upliftFigures(exposed, control);
      if (f.uplift!.low > 0) excluded++;
      if (f.uplift!.low > 0) expect(f.verdict).toBe('campaign better than control');
    }
    expect(excluded).toBeGreaterThanOrEqual(95);
  });

  it('revenue per customer: the CI covers the planted difference (mean revenue per converter 50 €) in at least 90 of 100 runs', () => {
    let covered = 0;
    const trueDiff = 0.03 * 5000 - 0.0 * 5000; // (p + Δ − p) × mean revenue of a converter; p = 0.08
    for (let seed = 1; seed <= RUNS; seed++) {
      const { exposed, control } = simulate(seed * 31337, 3000, 0.08, 0.03);
      const d = meanDifference({ n: exposed.customers, sum: exposed.rev, sumSq: exposed.rev_sq }, { n: control.customers, sum: control.rev, sumSq: control.rev_sq })!;
      if (d.low <= trueDiff && trueDiff <= d.high) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(90);
  });
});

describe('intervals and verdicts', () => {
  it('Wilson interval of 0 of 10 starts at 0 and is not degenerate', () => {
    const w = wilson(0, 10);
    expect(w.low).toBe(0);
    expect(w.high).toBeGreaterThan(0.2);
  });
  it.each([
    // Newcombe (1998) Statistics in Medicine 17:873–890, Table II, method 10 (hybrid score).
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [5, 56, 0, 29, -0.0381, 0.1926],
  ])('Newcombe hybrid score interval of %p/%p − %p/%p is (%p, %p) as published', (x1, n1, x2, n2, low, high) => {
    const d = rateDifference(x1, n1, x2, n2)!;
    expect(d.estimate).toBeCloseTo(x1 / n1 - x2 / n2, 10);
    expect(d.low).toBeCloseTo(low, 4);
    expect(d.high).toBeCloseTo(high, 4);
  });
  it('relative uplift is null until both groups convert', () => {
    expect(relativeDifference(5, 100, 0, 100)).toBeNull();
    const r = relativeDifference(20, 100, 10, 100)!;
    expect(r.estimate).toBeCloseTo(1, 10);
    expect(r.low).toBeLessThan(1);
    expect(r.high).toBeGreaterThan(1);
  });
  it('says which variant is better, or how many customers a decision needs', () => {
    expect(verdict('B', 'A', rateDifference(300, 1000, 200, 1000), 0.3, 0.2, 1000, 1000)).toBe('B better than A');
    expect(verdict('B', 'A', rateDifference(200, 1000, 300, 1000), 0.2, 0.3, 1000, 1000)).toBe('A better than B');
    const need = sampleSizePerGroup(0.12, 0.1)!;
    expect(need).toBeGreaterThan(3000);
    expect(verdict('B', 'A', rateDifference(12, 100, 10, 100), 0.12, 0.1, 100, 100)).toBe(`no difference yet; about ${need} customers per group (${need - 100} more) would tell a difference this size apart`);
    expect(verdict('B', 'A', rateDifference(10, 100, 10, 100), 0.1, 0.1, 100, 100)).toBe('no difference yet');
  });
});

describe('assignment by hash', () => {
  it('holds out about the control share, and the same customers every time', () => {
    const camp = '6f1c1d6e-0000-4000-8000-000000000001';
    const ids = Array.from({ length: 20000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const held = ids.filter((id) => isControl(camp, id, 20));
    expect(held.length / ids.length).toBeGreaterThan(0.19);
    expect(held.length / ids.length).toBeLessThan(0.21);
    expect(ids.filter((id) => isControl(camp, id, 20))).toEqual(held);
    expect(ids.filter((id) => isControl(camp, id, 0))).toEqual([]);
    expect(campaignBucket(camp, ids[0], 'holdout')).toBe(campaignBucket(camp, ids[0], 'holdout'));
  });
  it('draws variants by weight, independently of the holdout', () => {
    const camp = '6f1c1d6e-0000-4000-8000-000000000002';
    const variants = [{ id: 'b', weight: 3 }, { id: 'a', weight: 1 }];
    const ids = Array.from({ length: 20000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const b = ids.filter((id) => pickVariant(camp, id, variants) === 'b').length / ids.length;
    expect(b).toBeGreaterThan(0.73);
    expect(b).toBeLessThan(0.77);
    const heldB = ids.filter((id) => isControl(camp, id, 50) && pickVariant(camp, id, variants) === 'b').length;
    expect(heldB / ids.filter((id) => isControl(camp, id, 50)).length).toBeGreaterThan(0.72);
    expect(pickVariant(camp, ids[0], [])).toBeNull();
  });
});

describe('revenue-weighted worth of an acceptance (next-best offer)', () => {
  it('is the declared value without attributed revenue, and moves toward revenue per acceptance with evidence', () => {
    expect(learnedValue(500, { accepted: 0 })).toBe(500);
    expect(learnedValue(500, { accepted: 20, attributedRevenueMinor: 0, attributedConverters: 0 })).toBe(500);
    // 10 acceptances that brought 3000 each: halfway between 500 and 3000.
    expect(learnedValue(500, { accepted: 10, attributedRevenueMinor: 30000, attributedConverters: 10 })).toBe(1750);
    // 1000 acceptances: almost all revenue.
    expect(learnedValue(500, { accepted: 1000, attributedRevenueMinor: 3_000_000, attributedConverters: 900 })).toBeCloseTo(2975.2, 1);
  });
});
