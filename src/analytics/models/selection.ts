/**
 * Choosing between the BG/NBD and the MBG/NBD per data set, and the calibration/holdout comparison
 * that shows how well the chosen one predicts.
 *
 * Holdout log-likelihood: fit each model on the calibration period only, then score what happened
 * after it. For a customer first seen in calibration, the likelihood of the full record (to the holdout
 * end) factorises as L(calibration) · L(holdout | calibration), and both models' likelihoods depend on
 * the record only through (x, t_x, T); so ln L(holdout | calibration) = ln L(full) − ln L(calibration),
 * evaluated at the calibration fit. The model with the larger sum predicts the unseen period better.
 */
import { abs } from './common';
import { BetaGeoModel, BgNbdData, BgNbdParams, betaGeoExpectedPurchases, betaGeoProbabilityNoPurchase, betaGeoTotalLogLikelihood, fitBetaGeo } from './bgnbd';
import { standardErrors } from './hessian';

export const BETA_GEO_MODELS: readonly BetaGeoModel[] = ['bgnbd', 'mbgnbd'];

export interface CandidateFit {
  model: BetaGeoModel;
  params: BgNbdParams;
  /** Calibration log-likelihood at the calibration fit. */
  logLikelihood: number;
  /** ln L(holdout | calibration), see above. */
  holdoutLogLikelihood: number;
}

export interface ModelChoice {
  model: BetaGeoModel;
  candidates: CandidateFit[];
}

/** Rows of `full` are the same customers as rows of `calibration`, in the same order. */
export function chooseBetaGeoModel(calibration: BgNbdData, full: BgNbdData): ModelChoice {
  const candidates: CandidateFit[] = [];
  for (const model of BETA_GEO_MODELS) {
    const fit = fitBetaGeo(model, calibration);
    const holdout = betaGeoTotalLogLikelihood(model, fit.params, full) - fit.logLikelihood;
    candidates.push({ model, params: fit.params, logLikelihood: fit.logLikelihood, holdoutLogLikelihood: holdout });
  }
  const best = candidates.reduce((b, c) => (c.holdoutLogLikelihood > b.holdoutLogLikelihood ? c : b));
  return { model: best.model, candidates };
}

/** Standard errors of (r, α, a, b) at a fit, from the numerical Hessian of the log-likelihood. */
export function betaGeoStandardErrors(model: BetaGeoModel, params: BgNbdParams, data: BgNbdData): Record<keyof BgNbdParams, number> {
  return standardErrors((p: BgNbdParams) => betaGeoTotalLogLikelihood(model, p, data), params, ['r', 'alpha', 'a', 'b']) as Record<keyof BgNbdParams, number>;
}

/**
 * Area under the ROC curve of `scores` for the positives in `labels` (Mann–Whitney U with average
 * ranks for ties): the probability that a random positive scores above a random negative.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i] - scores[j]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) {
      pos++;
      rankSum += rank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** A customer in a calibration/holdout comparison: calibration summary and holdout transactions. */
export interface HoldoutCustomer {
  x: number;
  tx: number;
  T: number;
  holdout: number;
}

export interface FrequencyBucket {
  /** Calibration repeat transactions: 0 … 7, and 7 stands for "7 or more". */
  x: number;
  label: string;
  customers: number;
  actual: number;
  predicted: number;
}

export interface HoldoutComparison {
  buckets: FrequencyBucket[];
  total: { customers: number; actual: number; predicted: number };
  /** AUC for "no purchase in the holdout": the model's P(no purchase), and recency (T − t_x) alone. */
  churnAuc: number;
  recencyAuc: number;
  lapsedShare: number;
}

export const TOP_BUCKET = 7;

/** Predicted vs actual holdout repeat transactions per calibration-frequency bucket, and churn AUCs. */
export function compareHoldout(model: BetaGeoModel, params: BgNbdParams, customers: HoldoutCustomer[], holdoutLength: number): HoldoutComparison {
  const buckets: FrequencyBucket[] = Array.from({ length: TOP_BUCKET + 1 }, (_, x) => ({
    x, label: x === TOP_BUCKET ? `${TOP_BUCKET}+` : String(x), customers: 0, actual: 0, predicted: 0,
  }));
  const churn = new Float64Array(customers.length);
  const recency = new Float64Array(customers.length);
  const lapsed: boolean[] = [];
  customers.forEach((c, i) => {
    const bucket = buckets[Math.min(TOP_BUCKET, c.x)];
    bucket.customers++;
    bucket.actual += c.holdout;
    bucket.predicted += betaGeoExpectedPurchases(model, params, holdoutLength, c.x, c.tx, c.T);
    churn[i] = betaGeoProbabilityNoPurchase(model, params, holdoutLength, c.x, c.tx, c.T);
    recency[i] = c.T - c.tx;
    lapsed.push(c.holdout === 0);
  });
  const sum = (k: 'customers' | 'actual' | 'predicted') => buckets.reduce((s, b) => s + b[k], 0);
  return {
    buckets,
    total: { customers: sum('customers'), actual: sum('actual'), predicted: sum('predicted') },
    churnAuc: auc(churn, lapsed),
    recencyAuc: auc(recency, lapsed),
    lapsedShare: lapsed.filter(Boolean).length / Math.max(1, lapsed.length),
  };
}

/** Relative difference, for printing. */
export const relativeError = (got: number, want: number): number => (want === 0 ? abs(got) : got / want - 1);
