/**
 * BG/NBD, MBG/NBD and Gamma-Gamma closed forms and the discounted CLV sum, against reference values
 * computed with mpmath at 50 digits straight from the published formulas (scripts/model-references.py
 * prints the tables): Fader, Hardie & Lee (2005) eqs. 6, 9, 10 and the 2008 P(alive) note; Batislam et
 * al. (2007) eqs. 9, 10; Fader & Hardie (2013). CDNOW parameters are the published ones (r=0.243,
 * α=4.414, a=0.793, b=2.426; Gamma-Gamma p=6.25, q=3.74, v=15.44); FHL's worked example
 * E[Y(39) | 2, 30.43, 38.86] = 1.226 is row 2 of the table. No fits: the mutation scopes models-bgnbd
 * and models-fit run this file for every mutant (stryker.config.mjs).
 *
 * Tolerances: the closed forms are evaluated to ~1e−14 relative (₂F₁ documented at ~1e−14, its
 * callers' rearrangements lose at most a few digits to cancellation, bounded by their condition
 * factor < 1e4); the bounds (1e−11 for E[Y(t)], 1e−12 for ln L, 1e−13 for probabilities) leave that
 * margin and are far below what any changed operator produces.
 */
import {
  BetaGeoModel,
  betaGeoExpectedIfAlive,
  betaGeoExpectedPurchases,
  betaGeoLogLikelihood,
  betaGeoProbabilityAlive,
  betaGeoProbabilityNoPurchase,
  betaGeoTotalLogLikelihood,
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  bgNbdTotalLogLikelihood,
  DAYS_PER_MONTH,
  discountedClv,
  discountedExpectedPurchases,
  discountedPurchasesIfAlive,
  fitBgNbd,
  gammaGammaExpectedSpend,
  gammaGammaLogLikelihood,
  gammaGammaTotalLogLikelihood,
  WEEKS_PER_MONTH,
} from '../../src/analytics/models';
import { CDNOW, CDNOW_GG, relErr, SETS, type SetName } from './model-parameters';

const { abs, log } = Math;

const BG_TABLE: Array<[SetName, BetaGeoModel, number, number, number, number, number, number, number, number]> = [
  ['CDNOW', 'bgnbd', 10, 0, 0, 38.86, -0.5547132764381585, 1.0, 0.05429984838044911, 0.9507360273550124],
  ['CDNOW', 'bgnbd', 39, 2, 30.43, 38.86, -9.45860630706627, 0.726578570080673, 1.2260281747671444, 0.4453728620829956],
  ['CDNOW', 'bgnbd', 200, 7, 12, 52, -17.647198587156385, 0.0013875482041399258, 0.019500141493980334, 0.9986124757609122],
  ['CDNOW', 'bgnbd', 5, 26, 30.86, 31, -37.72657947339444, 0.9689156497175251, 3.416157769462944, 0.06135836700241832],
  ['CDNOW', 'bgnbd', 52, 0, 0, 1, -0.04962227265588824, 1.0, 1.265434370154037, 0.5633828319003875],
  ['CDNOW', 'bgnbd', 3, 1, 0.5, 0.5, -3.0328577025428354, 0.753650201926064, 0.5113409274878904, 0.6631399309300158],
  ['CDNOW', 'mbgnbd', 10, 0, 0, 38.86, -0.38695222057085343, 0.6372533379648953, 0.0348711798590678, 0.9686063689905704],
  ['CDNOW', 'mbgnbd', 39, 2, 30.43, 38.86, -9.687182636249961, 0.7744192426236461, 1.3404974284912132, 0.4088541201586531],
  ['CDNOW', 'mbgnbd', 200, 7, 12, 52, -17.839960495184094, 0.0015519672374637685, 0.022593800399699077, 0.9984480595673533],
  ['CDNOW', 'mbgnbd', 5, 26, 30.86, 31, -37.75518855327491, 0.9699763365609562, 3.425269802304442, 0.060330821590072595],
  ['CDNOW', 'mbgnbd', 52, 0, 0, 1, -0.03716733962684946, 0.7443217523308507, 1.0382568195541075, 0.6750163443423628],
  ['CDNOW', 'mbgnbd', 3, 1, 0.5, 0.5, -3.315684644337648, 0.8120407679544915, 0.5619357417158478, 0.6370410191867383],
  ['P2', 'bgnbd', 10, 0, 0, 38.86, -0.7931869864177744, 1.0, 0.09877386620722606, 0.9111011660032549],
  ['P2', 'bgnbd', 39, 2, 30.43, 38.86, -9.029664674644843, 0.731537857447351, 1.2269606559352781, 0.43717277958304357],
  ['P2', 'bgnbd', 200, 7, 12, 52, -18.518551026986522, 0.0044629170554477005, 0.06033588071406591, 0.9955371731633015],
  ['P2', 'bgnbd', 5, 26, 30.86, 31, -40.14624228834683, 0.9691321833858924, 2.997697587842328, 0.07679530326080843],
  ['P2', 'bgnbd', 52, 0, 0, 1, -0.04765508990216243, 1.0, 1.4875296723684908, 0.4178554470186725],
  ['P2', 'bgnbd', 3, 1, 0.5, 0.5, -3.068917519808139, 0.7575757575757576, 0.30524404953632045, 0.7620723674930453],
  ['P2', 'mbgnbd', 10, 0, 0, 38.86, -0.535883558162674, 0.5857072633300764, 0.058317542018409135, 0.9479313072265316],
  ['P2', 'mbgnbd', 39, 2, 30.43, 38.86, -9.254806008536315, 0.7779489323767765, 1.3370041312427987, 0.4014652409599017],
  ['P2', 'mbgnbd', 200, 7, 12, 52, -18.710103847450526, 0.004985348568188333, 0.06975173634645071, 0.9950147522116171],
  ['P2', 'mbgnbd', 5, 26, 30.86, 31, -40.17500938533634, 0.9701829704038768, 3.0051204459231027, 0.07579431337841015],
  ['P2', 'mbgnbd', 52, 0, 0, 1, -0.035892097920947046, 0.7487166072231692, 1.206265551880861, 0.564138705378372],
  ['P2', 'mbgnbd', 3, 1, 0.5, 0.5, -3.3465492564064183, 0.813953488372093, 0.331629575616969, 0.7443661250739231],
  ['P3', 'bgnbd', 10, 0, 0, 38.86, -1.6617561524964446, 1.0, 0.24436019232979234, 0.762466015691908],
  ['P3', 'bgnbd', 39, 2, 30.43, 38.86, -9.870164162719764, 0.2133048439219543, 0.2578709450359513, 0.8221297228663781],
  ['P3', 'bgnbd', 200, 7, 12, 52, -22.951540094832076, 0.004554203683963822, 0.01734485250146581, 0.9954458640014591],
  ['P3', 'bgnbd', 5, 26, 30.86, 31, -53.72968316412202, 0.8727497490888331, 1.7558049060494862, 0.22338821431616865],
  ['P3', 'bgnbd', 52, 0, 0, 1, -0.06557964564598175, 1.0, 0.9970477772125926, 0.13949775003628972],
  ['P3', 'bgnbd', 3, 1, 0.5, 0.5, -2.7576381069558416, 0.14634146341463414, 0.03798534231103976, 0.9641000859359079],
  ['P3', 'mbgnbd', 10, 0, 0, 38.86, -0.12620409638113272, 0.031512699565403694, 0.007955754176010885, 0.9925146629159258],
  ['P3', 'mbgnbd', 39, 2, 30.43, 38.86, -11.083301872895161, 0.30584630932632706, 0.39873582287703646, 0.7449614045329701],
  ['P3', 'mbgnbd', 200, 7, 12, 52, -23.470725761218613, 0.005240618356772483, 0.021679160766691716, 0.9947594595302731],
  ['P3', 'mbgnbd', 5, 26, 30.86, 31, -53.858092443314675, 0.8769449167841736, 1.771419866862365, 0.21965516635078916],
  ['P3', 'mbgnbd', 52, 0, 0, 1, -0.00933251712020898, 0.13833738952222363, 0.1647352880338056, 0.8809603650620204],
  ['P3', 'mbgnbd', 3, 1, 0.5, 0.5, -4.679450704432095, 0.3137254901960784, 0.08311223062679562, 0.923038092725345],
  ['A1', 'bgnbd', 10, 0, 0, 38.86, -0.7931869864177744, 1.0, 0.09815548449330891, 0.9111011660032549],
  ['A1', 'bgnbd', 39, 2, 30.43, 38.86, -9.069008301463844, 0.6855282610142797, 1.1104588559683712, 0.4725714305336475],
  ['A1', 'bgnbd', 200, 7, 12, 52, -18.541013866486242, 0.0035735233119855805, 0.04273708247873305, 0.9964265489274936],
  ['A1', 'bgnbd', 5, 26, 30.86, 31, -40.59745782860947, 0.9617107059590504, 2.9436729165924667, 0.08386507447949496],
  ['A1', 'bgnbd', 52, 0, 0, 1, -0.04765508990216243, 1.0, 1.3762399032376504, 0.4178554470186725],
  ['A1', 'bgnbd', 3, 1, 0.5, 0.5, -3.068917519808139, 0.7142857142857143, 0.28439707917764256, 0.7756682322077284],
  ['A1', 'mbgnbd', 10, 0, 0, 38.86, -0.4961707936270026, 0.530737128930806, 0.052565630999331966, 0.9528180880792712],
  ['A1', 'mbgnbd', 39, 2, 30.43, 38.86, -9.342123470483264, 0.7370341285944871, 1.2281670636231545, 0.43294408385539535],
  ['A1', 'mbgnbd', 200, 7, 12, 52, -18.751902633995574, 0.00399225941550285, 0.04971920306489865, 0.9960078212888093],
  ['A1', 'mbgnbd', 5, 26, 30.86, 31, -40.633288391965834, 0.9630044870807553, 2.9526747186583555, 0.08263260606229986],
  ['A1', 'mbgnbd', 52, 0, 0, 1, -0.033806046941631, 0.7044617241892468, 1.0591740884137164, 0.5899014444793956],
  ['A1', 'mbgnbd', 3, 1, 0.5, 0.5, -3.405389756429352, 0.7777777777777778, 0.31365923914151195, 0.7557276306261932],
  ['BIGA', 'bgnbd', 10, 0, 0, 38.86, -0.7931869864177744, 1.0, 0.09805329962706218, 0.9111011660032549],
  ['BIGA', 'bgnbd', 39, 2, 30.43, 38.86, -9.035703325071081, 0.6089791759877919, 0.8561929700555405, 0.5314664122660455],
  ['BIGA', 'bgnbd', 200, 7, 12, 52, -18.340067605179822, 0.0010549572973090496, 0.0036695941114999625, 0.998945064028861],
  ['BIGA', 'bgnbd', 5, 26, 30.86, 31, -46.57094390541345, 0.6964893125143009, 1.4563354377386968, 0.336517540573905],
  ['BIGA', 'bgnbd', 3, 1, 0.5, 0.5, -3.068917519808139, 0.7142857142857143, 0.27761427527881055, 0.7756682322077284],
  ['BIGA', 'mbgnbd', 10, 0, 0, 38.86, -0.4961707936270026, 0.530737128930806, 0.052040836171792115, 0.9528180880792712],
  ['BIGA', 'mbgnbd', 39, 2, 30.43, 38.86, -9.372139491099432, 0.6090267853751297, 0.8562976009334742, 0.5314297827753525],
  ['BIGA', 'mbgnbd', 200, 7, 12, 52, -18.676339850820085, 0.0010551678135176641, 0.0036708360121829064, 0.998944853516908],
  ['BIGA', 'mbgnbd', 5, 26, 30.86, 31, -46.9059974100784, 0.6965313747340385, 1.456505310681281, 0.33647747169632286],
  ['BIGA', 'mbgnbd', 3, 1, 0.5, 0.5, -3.405389756429352, 0.714326524782174, 0.2776338522020472, 0.775655415080587],
];
const NEW_CUSTOMER_E39: Array<[SetName, BetaGeoModel, number]> = [
  ['CDNOW', 'bgnbd', 1.196723193320817],
  ['CDNOW', 'mbgnbd', 1.3151015299286999],
  ['P2', 'bgnbd', 1.2949748134145072],
  ['P2', 'mbgnbd', 1.3925452836445715],
  ['P3', 'bgnbd', 0.925868348886876],
  ['P3', 'mbgnbd', 1.0848259968529312],
  ['A1', 'bgnbd', 1.2085178098236973],
  ['A1', 'mbgnbd', 1.3099706211765845],
  ['BIGA', 'bgnbd', 1.0930181861549002],
  ['BIGA', 'mbgnbd', 1.0930837007676888],
];
const GG_TABLE: Array<[[number, number, number], number, number, number]> = [
  [[6.25, 3.74, 15.44], 1, 20, -3.594196492949196],
  [[6.25, 3.74, 15.44], 2, 35.5, -4.1216651926127215],
  [[6.25, 3.74, 15.44], 25, 90, -6.77558165328791],
  [[6.25, 3.74, 15.44], 3, 4000, -23.468891851928863],
  [[0.8, 1.5, 2000], 1, 20, -6.579842169111712],
  [[0.8, 1.5, 2000], 2, 35.5, -7.998081387622589],
  [[0.8, 1.5, 2000], 25, 90, -13.717418797183859],
  [[0.8, 1.5, 2000], 3, 4000, -10.011373232842274],
];

// ---------------------------------------------------------------------------------------------
describe('BG/NBD and MBG/NBD closed forms against mpmath', () => {
  it('log-likelihood, P(alive), E[Y(t)] and P(no purchase) per customer', () => {
    for (const [set, model, t, x, tx, T, lnL, pAlive, expected, noPurchase] of BG_TABLE) {
      const P = SETS[set];
      const row = { set, model, t, x, tx, T };
      const got = {
        lnL: abs(betaGeoLogLikelihood(model, P, x, tx, T) - lnL) < 1e-12 * Math.max(1, abs(lnL)),
        pAlive: relErr(betaGeoProbabilityAlive(model, P, x, tx, T), pAlive) < 1e-13,
        expected: relErr(betaGeoExpectedPurchases(model, P, t, x, tx, T), expected) < 1e-11,
        ifAlive: relErr(betaGeoExpectedIfAlive(model, P, t, x, T), expected / pAlive) < 1e-11,
        noPurchase: abs(betaGeoProbabilityNoPurchase(model, P, t, x, tx, T) - noPurchase) < 1e-13,
      };
      expect({ ...row, ...got }).toEqual({ ...row, lnL: true, pAlive: true, expected: true, ifAlive: true, noPurchase: true });
      if (model === 'bgnbd') {
        expect(bgNbdLogLikelihood(P, x, tx, T)).toBe(betaGeoLogLikelihood(model, P, x, tx, T));
        expect(bgNbdProbabilityAlive(P, x, tx, T)).toBe(betaGeoProbabilityAlive(model, P, x, tx, T));
        expect(bgNbdExpectedPurchases(P, t, x, tx, T)).toBe(betaGeoExpectedPurchases(model, P, t, x, tx, T));
      }
    }
  });

  it('E[X(t)] of a new customer (x = t_x = T = 0), FHL eq. 9', () => {
    for (const [set, model, want] of NEW_CUSTOMER_E39) {
      expect({ set, model, ok: relErr(betaGeoExpectedIfAlive(model, SETS[set], 39, 0, 0), want) < 1e-11 }).toEqual({ set, model, ok: true });
    }
    // FHL's CDNOW worked example, to the published three decimals.
    expect(bgNbdExpectedPurchases(CDNOW, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
  });

  it('no horizon, no purchases; P(alive) extremes', () => {
    for (const model of ['bgnbd', 'mbgnbd'] as const) {
      for (const t of [0, -1, NaN]) {
        expect(betaGeoExpectedPurchases(model, CDNOW, t, 2, 30, 38)).toBe(0);
        expect(betaGeoExpectedIfAlive(model, CDNOW, t, 2, 38)).toBe(0);
      }
      // A heavy buyer silent for most of 10 years: the odds overflow in linear space, P(alive) is 0.
      expect(betaGeoProbabilityAlive(model, SETS.P2, 3000, 10, 520)).toBe(0);
    }
    // Bought right now: P(alive) = 1/(1 + a/(b + x − 1)) (BG) and 1/(1 + a/(b + x)) (MBG).
    expect(betaGeoProbabilityAlive('bgnbd', SETS.P2, 5, 30, 30)).toBeCloseTo(1 / (1 + 0.8 / 6.5), 15);
    expect(betaGeoProbabilityAlive('mbgnbd', SETS.P2, 5, 30, 30)).toBeCloseTo(1 / (1 + 0.8 / 7.5), 15);
    // BG/NBD one-time buyers never drop out; the MBG/NBD's can (at T = 0: P(alive) = b/(a+b)).
    expect(betaGeoProbabilityAlive('bgnbd', SETS.P2, 0, 0, 500)).toBe(1);
    expect(betaGeoProbabilityAlive('mbgnbd', SETS.P2, 0, 0, 0)).toBeCloseTo(2.5 / 3.3, 15);
    // No purchase in t: a customer certainly alive at T buys nothing with probability (α+T)^{r+x}/(α+T+t)^{r+x}.
    expect(betaGeoProbabilityNoPurchase('bgnbd', SETS.P2, 13, 0, 0, 20)).toBeCloseTo((30 / 43) ** 0.5, 15);
  });

  it('total log-likelihood: weighted, grouped rows equal the sum of the per-customer mpmath values', () => {
    for (const model of ['bgnbd', 'mbgnbd'] as const) {
      for (const set of ['CDNOW', 'P3'] as const) {
        const rows = BG_TABLE.filter((r) => r[0] === set && r[1] === model);
        // Repeated values of x, t_x and T share their precomputed logs; the weights count rows.
        const x = [...rows.map((r) => r[3]), 2, 0];
        const tx = [...rows.map((r) => r[4]), 30.43, 0];
        const T = [...rows.map((r) => r[5]), 38.86, 38.86];
        const weights = [...rows.map((_, i) => i + 1), 0.5, 0];
        const want = rows.reduce((s, r, i) => s + (i + 1) * r[6], 0) + 0.5 * rows[1][6];
        const got = betaGeoTotalLogLikelihood(model, SETS[set], { x, tx, T, weights });
        expect({ model, set, err: abs(got - want) / abs(want) < 1e-12 }).toEqual({ model, set, err: true });
        const unweighted = betaGeoTotalLogLikelihood(model, SETS[set], { x: Float64Array.from(x.slice(0, -2)), tx: tx.slice(0, -2), T: T.slice(0, -2) });
        expect(abs(unweighted - rows.reduce((s, r) => s + r[6], 0))).toBeLessThan(1e-11);
      }
    }
    const d = { x: [2, 0, 7], tx: [30.43, 0, 12], T: [38.86, 38.86, 52] };
    expect(bgNbdTotalLogLikelihood(CDNOW, d)).toBe(betaGeoTotalLogLikelihood('bgnbd', CDNOW, d));
  });

  it('rejects malformed rows, each condition with its own row', () => {
    const bad: Array<[number, number, number]> = [
      [-1, 0, 5],
      [NaN, 0, 5],
      [Infinity, 0, 5],
      [1, -0.5, 5],
      [1, NaN, 5],
      [1, 1, 0],
      [1, 1, -2],
      [1, 1, Infinity],
      [1, 6, 5],
      [0, 0, 0],
    ];
    for (const [x, tx, T] of bad) {
      expect(() => betaGeoTotalLogLikelihood('bgnbd', CDNOW, { x: [2, x], tx: [1, tx], T: [3, T] })).toThrow(
        `BG/NBD data row 1: need x ≥ 0, 0 ≤ t_x ≤ T, T > 0; got x=${x}, t_x=${tx}, T=${T}`,
      );
    }
    // The edges are admissible: t_x = T, x = 0 with t_x = 0.
    expect(Number.isFinite(bgNbdTotalLogLikelihood(CDNOW, { x: [2, 0], tx: [5, 0], T: [5, 0.1] }))).toBe(true);
    expect(() => fitBgNbd({ x: [0, 0], tx: [0, 0], T: [3, 4] })).toThrow('BG/NBD fit needs at least one customer with a repeat purchase');
    expect(() => fitBgNbd({ x: [1, 2], tx: [1], T: [3, 4] })).toThrow('BG/NBD data: column tx has 1 rows, expected 2');
  });
});

// E[Y(t) | alive] where the three forms of bgnbd.ts disagree: a ≫ 1 with little dropout makes the power
// series cancel (condition 1e8–3e17, value wrong from the 3rd digit to 10 orders of magnitude), and at
// y = t/(α+T) = 0.55 with a = 2000 Euler's form would overflow, so only the literal one is right; at
// Q3 the power series' condition 3.5e4 is just above the 1e4 threshold. mpmath values (model-references.py).
// A0: a = 1 and A = a + b − 1 − r = 0, so Euler's series Ψ is 0 from its first term and, with y > ½ and the
// literal form's 0/0 at a = 1, it is the only form that can answer.
const ROUTE_SETS = { Q1: { r: 0.5, alpha: 10, a: 2000, b: 1 }, Q3: { r: 3, alpha: 10, a: 50, b: 0.5 }, A0: { r: 0.5, alpha: 10, a: 1, b: 0.5 } };
const ROUTE_TABLE: Array<[keyof typeof ROUTE_SETS, BetaGeoModel, number, number, number, number]> = [
  ['Q1', 'bgnbd', 55, 100, 100, 1.0505252626313157],
  ['Q1', 'mbgnbd', 55, 100, 100, 1.0510255127563781],
  ['Q1', 'bgnbd', 33, 100, 100, 1.0505252626198371],
  ['Q1', 'bgnbd', 20, 100, 100, 1.0505251490301177],
  ['Q3', 'bgnbd', 50, 20, 90, 1.4168325905462735],
  ['Q3', 'mbgnbd', 50, 20, 90, 1.4370781857769948],
  ['A0', 'bgnbd', 39, 2, 38.86, 1.4669639317950973],
  ['A0', 'mbgnbd', 39, 2, 38.86, 1.5570917836257827],
];
// ln L of a frequent buyer: x = 1000 with t_x = 1 (a4 − a3 ≈ 2300, e^{2300} overflows unless the larger
// term is factored out) and t_x = 99, both models, P2 (mpmath).
const HEAVY_LL: Array<[BetaGeoModel, number, number, number, number]> = [
  ['bgnbd', 1000, 1, 100, 3498.2007790836738],
  ['bgnbd', 1000, 99, 100, 1203.7278179502732],
  ['mbgnbd', 1000, 1, 100, 3498.198983392848],
  ['mbgnbd', 1000, 99, 100, 1203.7261407899623],
];

describe('E[Y(t)] where the evaluation routes differ, and log-sum-exp at its extremes', () => {
  it('each form is used only where it is accurate: a ≫ 1, y on both sides of ½, a condition just above 1e4', () => {
    for (const [set, model, t, x, T, want] of ROUTE_TABLE) {
      const got = betaGeoExpectedIfAlive(model, ROUTE_SETS[set], t, x, T);
      expect({ set, model, t, ok: relErr(got, want) < 1e-11 }).toEqual({ set, model, t, ok: true });
    }
  });

  it('ln L of a heavy buyer per customer and grouped, where one exponential of the log-sum-exp overflows', () => {
    for (const [model, x, tx, T, want] of HEAVY_LL) {
      expect({ model, tx, ok: relErr(betaGeoLogLikelihood(model, SETS.P2, x, tx, T), want) < 1e-13 }).toEqual({ model, tx, ok: true });
    }
    for (const model of ['bgnbd', 'mbgnbd'] as const) {
      const rows = HEAVY_LL.filter((r) => r[0] === model);
      const got = betaGeoTotalLogLikelihood(model, SETS.P2, { x: rows.map((r) => r[1]), tx: rows.map((r) => r[2]), T: rows.map((r) => r[3]) });
      expect({ model, ok: relErr(got, rows[0][4] + rows[1][4]) < 1e-13 }).toEqual({ model, ok: true });
    }
    // Both terms −∞ (T = t_x = ∞, the limit of an ever longer record): ln 0 = −∞, not −∞ − (−∞) = NaN.
    expect(betaGeoLogLikelihood('bgnbd', SETS.P2, 1, Infinity, Infinity)).toBe(-Infinity);
  });
});

// ---------------------------------------------------------------------------------------------
describe('Gamma-Gamma closed forms against mpmath', () => {
  it('ln f(m_x | p, q, v, x) per customer and in total', () => {
    for (const [[p, q, v], x, mx, want] of GG_TABLE) {
      const ok = abs(gammaGammaLogLikelihood({ p, q, v }, x, mx) - want) < 1e-12 * Math.max(1, abs(want));
      expect({ p, x, mx, ok }).toEqual({ p, x, mx, ok: true });
    }
    const rows = GG_TABLE.filter((r) => r[0][0] === 6.25);
    const data = { x: [...rows.map((r) => r[1]), 2], mx: [...rows.map((r) => r[2]), 35.5], weights: [1, 2, 3, 4, 0.5] };
    const want = rows.reduce((s, r, i) => s + (i + 1) * r[3], 0) + 0.5 * rows[1][3];
    expect(abs(gammaGammaTotalLogLikelihood(CDNOW_GG, data) - want) / abs(want)).toBeLessThan(1e-13);
    expect(abs(gammaGammaTotalLogLikelihood(CDNOW_GG, { x: rows.map((r) => r[1]), mx: rows.map((r) => r[2]) }) - rows.reduce((s, r) => s + r[3], 0))).toBeLessThan(1e-12);
  });

  it('expected spend p(v + x m_x)/(px + q − 1): population mean at x = 0, infinite when px + q ≤ 1', () => {
    expect(gammaGammaExpectedSpend(CDNOW_GG, 0, 0)).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
    expect(gammaGammaExpectedSpend(CDNOW_GG, 0, 999)).toBeCloseTo((6.25 * 15.44) / 2.74, 12); // m_x ignored without repeats
    expect(gammaGammaExpectedSpend(CDNOW_GG, 0, NaN)).toBeCloseTo((6.25 * 15.44) / 2.74, 12); // even when it is undefined
    expect(gammaGammaExpectedSpend(CDNOW_GG, 2, 30)).toBeCloseTo((6.25 * (15.44 + 60)) / (12.5 + 2.74), 12);
    expect(gammaGammaExpectedSpend({ p: 0.1, q: 0.8, v: 10 }, 1, 50)).toBe(Infinity);
    expect(gammaGammaExpectedSpend({ p: 0.2, q: 0.8, v: 10 }, 1, 50)).toBe(Infinity); // px + q − 1 = 0 exactly
    expect(gammaGammaExpectedSpend({ p: 0.5, q: 0.8, v: 10 }, 1, 50)).toBeCloseTo((0.5 * 60) / 0.3, 12);
  });

  it('rejects rows without repeat transactions or spend, each condition on its own', () => {
    const bad: Array<[number, number]> = [
      [0, 10],
      [-1, 10],
      [Infinity, 10],
      [NaN, 10],
      [1, 0],
      [1, -3],
      [1, Infinity],
      [1, NaN],
    ];
    for (const [x, mx] of bad) {
      expect(() => gammaGammaTotalLogLikelihood(CDNOW_GG, { x: [2, x], mx: [5, mx] })).toThrow(
        `Gamma-Gamma data row 1: need x > 0 and m_x > 0, got x=${x}, m_x=${mx} (filter out one-time buyers)`,
      );
    }
    expect(() => gammaGammaTotalLogLikelihood(CDNOW_GG, { x: [1, 2], mx: [5] })).toThrow('Gamma-Gamma data: column mx has 1 rows, expected 2');
  });
});

describe('discounted purchases and CLV', () => {
  it('Σ (E[Y(iu)] − E[Y((i−1)u)]) / (1+d)^i matches mpmath, with the defaults H = 12, d = 1 %, u = 365.25/12/7 weeks', () => {
    expect(DAYS_PER_MONTH).toBe(30.4375);
    expect(WEEKS_PER_MONTH).toBe(30.4375 / 7);
    expect(relErr(discountedPurchasesIfAlive('bgnbd', CDNOW, 2, 38.86), 2.026283590027581)).toBeLessThan(1e-11);
    expect(relErr(discountedPurchasesIfAlive('mbgnbd', CDNOW, 2, 38.86), 2.089519326303418)).toBeLessThan(1e-11);
    const opts = { horizonMonths: 3, monthlyDiscountRate: 0.05, periodsPerMonth: 1 };
    expect(relErr(discountedPurchasesIfAlive('bgnbd', SETS.P2, 5, 20, opts), 0.48465428419485806)).toBeLessThan(1e-11);
    const odd = { horizonMonths: 2, monthlyDiscountRate: -0.5, periodsPerMonth: 2 };
    expect(relErr(discountedPurchasesIfAlive('bgnbd', SETS.P2, 0, 10, odd), 0.28814216076700777)).toBeLessThan(1e-11);
    // P(alive) factors out; CLV is spend × discounted purchases.
    const pa = bgNbdProbabilityAlive(CDNOW, 2, 30.43, 38.86);
    expect(relErr(discountedExpectedPurchases(CDNOW, 2, 30.43, 38.86), pa * 2.026283590027581)).toBeLessThan(1e-11);
    expect(relErr(discountedExpectedPurchases(SETS.P2, 5, 12, 20, opts), bgNbdProbabilityAlive(SETS.P2, 5, 12, 20) * 0.48465428419485806)).toBeLessThan(1e-11);
    expect(relErr(discountedClv(CDNOW, 2, 30.43, 38.86, 35), 35 * pa * 2.026283590027581)).toBeLessThan(1e-11);
    expect(relErr(discountedClv(SETS.P2, 5, 12, 20, 10, opts), 10 * bgNbdProbabilityAlive(SETS.P2, 5, 12, 20) * 0.48465428419485806)).toBeLessThan(1e-11);
    expect(discountedPurchasesIfAlive('bgnbd', CDNOW, 2, 38.86, { horizonMonths: 0 })).toBe(0);
  });

  it('rejects a horizon that is not a whole number ≥ 0, a rate ≤ −100 %, a month ≤ 0 units', () => {
    for (const h of [-1, 1.5, NaN]) expect(() => discountedPurchasesIfAlive('bgnbd', CDNOW, 2, 38, { horizonMonths: h })).toThrow(`horizonMonths must be a whole number ≥ 0, got ${h}`);
    for (const d of [-1, -2, NaN]) expect(() => discountedPurchasesIfAlive('bgnbd', CDNOW, 2, 38, { monthlyDiscountRate: d })).toThrow(`monthlyDiscountRate must be > −1, got ${d}`);
    for (const u of [0, -4, NaN]) expect(() => discountedPurchasesIfAlive('bgnbd', CDNOW, 2, 38, { periodsPerMonth: u })).toThrow(`periodsPerMonth must be > 0, got ${u}`);
  });
});
