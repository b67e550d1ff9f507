/**
 * Customer-lifetime-value models for the analytics recompute: BG/NBD (purchases, P(alive)),
 * Gamma-Gamma (spend per transaction) and their combination into a discounted CLV. Pure functions over
 * numbers and typed arrays; no I/O. Time unit: weeks by convention (see bgnbd.ts); money unit: that of
 * the data (see gamma-gamma.ts).
 */
export type { NumArray, FitOptions, FitResult } from './common';
export { digammaDiff, logGamma, hyp2f1 } from './special';
export { bfgs } from './optimize';
export type { BfgsOptions, BfgsResult } from './optimize';
export {
  bgNbdLogLikelihood,
  bgNbdTotalLogLikelihood,
  fitBgNbd,
  bgNbdExpectedPurchases,
  bgNbdProbabilityAlive,
} from './bgnbd';
export type { BgNbdParams, BgNbdData } from './bgnbd';
export {
  gammaGammaLogLikelihood,
  gammaGammaTotalLogLikelihood,
  gammaGammaTotalLogLikelihoodGradient,
  fitGammaGamma,
  gammaGammaExpectedSpend,
} from './gamma-gamma';
export type { GammaGammaParams, GammaGammaData } from './gamma-gamma';
export { discountedClv, discountedExpectedPurchases, DAYS_PER_MONTH, WEEKS_PER_MONTH } from './clv';
export type { ClvOptions } from './clv';
export {
  betaGeoLogLikelihood,
  betaGeoTotalLogLikelihood,
  betaGeoTotalLogLikelihoodGradient,
  fitBetaGeo,
  betaGeoProbabilityAlive,
  betaGeoProbabilityNoPurchase,
  betaGeoExpectedPurchases,
  betaGeoExpectedIfAlive,
} from './bgnbd';
export type { BetaGeoModel } from './bgnbd';
export { discountedPurchasesIfAlive } from './clv';
export { hessian, invert, standardErrors } from './hessian';
export { rng, simulateCustomers } from './simulate';
export type { SimulatedCustomer, SimulationOptions } from './simulate';
export { BETA_GEO_MODELS, chooseBetaGeoModel, betaGeoStandardErrors, auc, compareHoldout, relativeError, TOP_BUCKET } from './selection';
export type { CandidateFit, ModelChoice, HoldoutCustomer, FrequencyBucket, HoldoutComparison } from './selection';
