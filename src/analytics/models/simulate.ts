/**
 * Customers simulated from the generative story of the BG/NBD or MBG/NBD (and Gamma-Gamma spend), with a
 * seeded generator: the recovery tests and the bench need data whose true parameters are known.
 * Time is continuous, in weeks; every customer is acquired (first purchase) at a uniform time within the
 * first `acquisitionWeeks`, observed to `calibrationEnd` and then over a holdout to `holdoutEnd`.
 */
import { log } from './common';
import type { BetaGeoModel, BgNbdParams } from './bgnbd';
import type { GammaGammaParams } from './gamma-gamma';

const { cos, imul, pow, sin, sqrt } = Math;

/** Seeded PRNG (mulberry32, two draws per 53-bit uniform) and the samplers the simulations need. */
export function rng(seed: number) {
  let s = seed >>> 0;
  const next32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const uniform = (): number => ((next32() >>> 5) * 67108864 + (next32() >>> 6) + 0.5) / 9007199254740992;
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const rad = sqrt(-2 * log(uniform()));
    const th = 2 * Math.PI * uniform();
    spare = rad * sin(th);
    return rad * cos(th);
  };
  // Marsaglia & Tsang (2000); shape < 1 via Gamma(shape+1)·U^{1/shape}.
  const gamma = (shape: number, rate: number): number => {
    if (shape < 1) return gamma(shape + 1, rate) * pow(uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v0 = 1 + c * z;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      if (log(uniform()) < 0.5 * z * z + d - d * v + d * log(v)) return (d * v) / rate;
    }
  };
  const beta = (a: number, b: number): number => {
    const g1 = gamma(a, 1);
    return g1 / (g1 + gamma(b, 1));
  };
  return { uniform, normal, gamma, beta };
}

/** One customer's summaries: calibration (x, t_x, T), full period to the holdout end, holdout count. */
export interface SimulatedCustomer {
  x: number;
  tx: number;
  T: number;
  holdout: number;
  xFull: number;
  txFull: number;
  TFull: number;
  /** Mean of the calibration REPEAT transactions' values (0 when x = 0), if spend was simulated. */
  mx: number;
}

export interface SimulationOptions {
  model: BetaGeoModel;
  params: BgNbdParams;
  spend?: GammaGammaParams;
  customers: number;
  seed: number;
  acquisitionWeeks?: number;
  calibrationEnd?: number;
  holdoutEnd?: number;
}

export function simulateCustomers(o: SimulationOptions): SimulatedCustomer[] {
  const g = rng(o.seed);
  const acq = o.acquisitionWeeks ?? 12;
  const calEnd = o.calibrationEnd ?? 39;
  const end = o.holdoutEnd ?? 78;
  const { r, alpha, a, b } = o.params;
  const out: SimulatedCustomer[] = [];
  for (let i = 0; i < o.customers; i++) {
    const born = acq * g.uniform();
    const lambda = g.gamma(r, alpha);
    const p = g.beta(a, b);
    const nu = o.spend ? g.gamma(o.spend.q, o.spend.v) : 0;
    // MBG/NBD: the first purchase is itself a dropout opportunity.
    let alive = !(o.model === 'mbgnbd' && g.uniform() < p);
    const c = { x: 0, tx: 0, holdout: 0, xFull: 0, txFull: 0, spend: 0 };
    let t = 0;
    while (alive) {
      t += -log(g.uniform()) / lambda;
      if (born + t > end) break;
      if (born + t <= calEnd) {
        c.x++;
        c.tx = t;
        if (o.spend) c.spend += g.gamma(o.spend.p, nu);
      } else c.holdout++;
      c.xFull++;
      c.txFull = t;
      if (g.uniform() < p) alive = false;
    }
    out.push({ x: c.x, tx: c.tx, T: calEnd - born, holdout: c.holdout, xFull: c.xFull, txFull: c.txFull, TFull: end - born, mx: c.x > 0 ? c.spend / c.x : 0 });
  }
  return out;
}

