import type { EntityManager } from '@mikro-orm/postgresql';
import * as models from './models';
import { createTransactionSummary, loadSummaries, WEEK_SECONDS } from './transactions';

export interface ValidationOptions {
  calibrationEnd: Date;
  holdoutEnd: Date;
  timeZone?: string;
  /** At most this many customers (a deterministic sample) are fitted and compared (default 100,000). */
  sampleSize?: number;
}

export interface ValidationReport {
  calibrationEnd: Date;
  holdoutEnd: Date;
  holdoutWeeks: number;
  customers: number;
  choice: models.ModelChoice;
  chosen: models.CandidateFit;
  standardErrors: Record<keyof models.BgNbdParams, number>;
  comparison: models.HoldoutComparison;
}

/**
 * Fits the purchase models on the calibration period (orders up to calibrationEnd, customers first
 * seen before it) and compares their predictions with what those customers did up to holdoutEnd.
 * Read-only: everything happens in temp tables of one transaction.
 */
export async function validateModels(rootEm: EntityManager, o: ValidationOptions): Promise<ValidationReport> {
  if (!(o.calibrationEnd < o.holdoutEnd)) throw new RangeError('the calibration end must come before the holdout end');
  const holdoutWeeks = (o.holdoutEnd.getTime() - o.calibrationEnd.getTime()) / 1000 / WEEK_SECONDS;
  const rows = await rootEm.fork().transactional(async (em: EntityManager) => {
    await em.execute(`set local statement_timeout = 0`);
    await createTransactionSummary(em, 'v_base', { end: o.holdoutEnd, cutoff: o.calibrationEnd, timeZone: o.timeZone ?? 'UTC' });
    return loadSummaries(em, 'v_base', { end: o.holdoutEnd, cutoff: o.calibrationEnd, limit: o.sampleSize ?? 100_000 });
  });
  const cohort = rows.filter((r) => r.x_cal != null && r.t_cal! > 0);
  if (cohort.length < 20 || !cohort.some((r) => r.x_cal! > 0)) throw new RangeError('too little calibration data: need 20 customers and a repeat purchase before the calibration end');
  const cal = { x: cohort.map((r) => r.x_cal!), tx: cohort.map((r) => r.tx_cal!), T: cohort.map((r) => r.t_cal!) };
  const full = { x: cohort.map((r) => r.x), tx: cohort.map((r) => r.tx), T: cohort.map((r) => r.t) };
  const choice = models.chooseBetaGeoModel(cal, full);
  const chosen = choice.candidates.find((c) => c.model === choice.model)!;
  const customers = cohort.map((r) => ({ x: r.x_cal!, tx: r.tx_cal!, T: r.t_cal!, holdout: r.x - r.x_cal! }));
  return {
    calibrationEnd: o.calibrationEnd,
    holdoutEnd: o.holdoutEnd,
    holdoutWeeks,
    customers: cohort.length,
    choice,
    chosen,
    standardErrors: models.betaGeoStandardErrors(chosen.model, chosen.params, cal),
    comparison: models.compareHoldout(chosen.model, chosen.params, customers, holdoutWeeks),
  };
}

const NAMES: Record<models.BetaGeoModel, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD' };
export const modelName = (m: models.BetaGeoModel): string => NAMES[m];

/** The report as plain text: the table, the models, the AUCs. */
export function formatValidationReport(r: ValidationReport): string {
  const f = (v: number, d = 1) => v.toFixed(d);
  const lines: string[] = [];
  lines.push(`Calibration: orders to ${r.calibrationEnd.toISOString()}; holdout: ${f(r.holdoutWeeks)} weeks to ${r.holdoutEnd.toISOString()}; ${r.customers} customers first seen in calibration.`);
  lines.push('Transactions are calendar days with a kept order; time is continuous, in weeks.');
  lines.push('');
  lines.push('Repeat transactions in the holdout, per calibration repeat transactions:');
  lines.push('  x(cal)  customers    actual  predicted   error');
  const row = (label: string, n: number, actual: number, predicted: number) =>
    `  ${label.padStart(6)}  ${String(n).padStart(9)}  ${f(actual).padStart(8)}  ${f(predicted).padStart(9)}  ${(actual === 0 ? '—' : `${f(100 * (predicted / actual - 1))} %`).padStart(7)}`;
  for (const b of r.comparison.buckets) lines.push(row(b.label, b.customers, b.actual, b.predicted));
  lines.push(row('total', r.comparison.total.customers, r.comparison.total.actual, r.comparison.total.predicted));
  lines.push('');
  for (const c of r.choice.candidates) {
    lines.push(`${c.model === r.choice.model ? '* ' : '  '}${modelName(c.model).padEnd(8)} r=${c.params.r.toPrecision(4)} α=${c.params.alpha.toPrecision(4)} a=${c.params.a.toPrecision(4)} b=${c.params.b.toPrecision(4)}  calibration LL ${f(c.logLikelihood)}  holdout LL ${f(c.holdoutLogLikelihood)}`);
  }
  const se = r.standardErrors;
  lines.push(`Chosen: ${modelName(r.chosen.model)} (higher holdout log-likelihood). Standard errors: r ±${se.r.toPrecision(2)}, α ±${se.alpha.toPrecision(2)}, a ±${se.a.toPrecision(2)}, b ±${se.b.toPrecision(2)}.`);
  lines.push(`Churn AUC ("no purchase in the holdout", ${f(100 * r.comparison.lapsedShare)} % of customers): churn risk ${f(r.comparison.churnAuc, 3)}, recency alone ${f(r.comparison.recencyAuc, 3)}.`);
  return lines.join('\n');
}
