import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { runAnalytics } from '../analytics/run';
import { formatValidationReport, validateModels } from '../analytics/validate';
import { validationChartSvg } from '../analytics/validation-chart';
import { withCliOrm } from './database';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport analytics [--as-of ISO]          (also: npm run analytics -- …)
       npx rapport analytics --validate [--calibration-end DATE] [--holdout-end DATE] [--chart FILE.svg]

Recomputes every customer's metrics (RFM, CLV, churn risk), every segment's members and the product
similarities, as the server's scheduler does every ANALYTICS_INTERVAL_MINUTES, and keeps the run's
figures in the history. Logs timings as JSON. Uses DATABASE_URL, else the embedded PostgreSQL of a
running npm start. Exit code 3: another run holds the lock.

  (no flags)          recompute now
  --as-of ISO         …as if now were that instant: orders, interactions and feedback after it are ignored
  --validate          fit the purchase models on orders up to --calibration-end (default: holdout end − 26 weeks),
                      compare with what happened up to --holdout-end (default: --as-of or now); print the table,
                      models and churn AUC, and write the calibration/holdout chart (default analytics-validation.svg)`;

export interface AnalyticsArgs {
  asOf?: Date;
  validate: boolean;
  calibrationEnd?: Date;
  holdoutEnd?: Date;
  chart: string;
}

const date = (flag: string, v: string | undefined): Date | undefined => {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag}: not a date or ISO instant: ${v}`);
  return d;
};

/** Flags of `rapport analytics` (kept here so that any launcher can call it with argv). */
export function parseAnalyticsArgs(argv: string[]): AnalyticsArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'as-of': { type: 'string' },
        validate: { type: 'boolean', default: false },
        'calibration-end': { type: 'string' },
        'holdout-end': { type: 'string' },
        chart: { type: 'string', default: 'analytics-validation.svg' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const args: AnalyticsArgs = {
    asOf: date('--as-of', values['as-of'] as string | undefined),
    validate: (values.validate as boolean | undefined) ?? false,
    calibrationEnd: date('--calibration-end', values['calibration-end'] as string | undefined),
    holdoutEnd: date('--holdout-end', values['holdout-end'] as string | undefined),
    chart: (values.chart as string | undefined) ?? 'analytics-validation.svg',
  };
  if (!args.validate && (args.calibrationEnd || args.holdoutEnd)) throw new UsageError('--calibration-end and --holdout-end go with --validate');
  return args;
}

async function run(argv: string[]): Promise<number> {
  const args = parseAnalyticsArgs(argv);
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  return withCliOrm(config, logger, async (orm) => {
    const em = orm.em.fork() as EntityManager;
    if (args.validate) {
      const holdoutEnd = args.holdoutEnd ?? args.asOf ?? new Date();
      const calibrationEnd = args.calibrationEnd ?? new Date(holdoutEnd.getTime() - 26 * 7 * 86_400_000);
      const report = await validateModels(em, { calibrationEnd, holdoutEnd, timeZone: config.analyticsTimeZone });
      const chart = resolve(args.chart);
      writeFileSync(chart, validationChartSvg(report));
      console.log(formatValidationReport(report));
      console.log(`Chart: ${chart}`);
      return 0;
    }
    const result = await runAnalytics(em, { asOf: args.asOf, timeZone: config.analyticsTimeZone, costToServeMinor: config.analyticsCostToServeMinor, log: (m, d) => logger.info(d ?? {}, m) });
    if (!result) {
      logger.warn('another analytics run holds the lock: nothing done');
      return 3;
    }
    const pm = result.metrics.purchaseModel;
    logger.info({
      asOf: args.asOf?.toISOString() ?? null, customers: result.metrics.customers, withOrders: result.metrics.withOrders, modelVersion: result.metrics.modelVersion,
      purchaseModel: pm && { model: pm.model, params: pm.params, holdout: pm.candidates?.map((c) => ({ model: c.model, holdoutLogLikelihood: c.holdoutLogLikelihood })) },
      gammaGamma: result.metrics.gammaGamma, timingsMs: result.metrics.timingsMs, segments: result.segments, similarities: result.similarities,
      offersAttributed: result.offersAttributed, ms: result.durationMs,
    }, 'analytics done');
    return 0;
  });
}

export const command: Command = { usage: USAGE, run };
