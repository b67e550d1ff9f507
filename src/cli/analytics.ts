import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { initOrm } from '../db/orm';
import { runAnalytics } from '../analytics/run';
import { formatValidationReport, validateModels } from '../analytics/validate';
import { validationChartSvg } from '../analytics/validation-chart';
import { connectCliDatabase } from './database';

const USAGE = `npm run analytics -- [--as-of ISO]
npm run analytics -- --validate [--calibration-end DATE] [--holdout-end DATE] [--chart FILE.svg]

  (no flags)          recompute every customer's metrics, every segment and the product similarities now
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
  if (Number.isNaN(d.getTime())) throw new RangeError(`${flag}: not a date or ISO instant: ${v}`);
  return d;
};

/** Flags of `npm run analytics` (kept here so that any launcher can call it with argv). */
export function parseAnalyticsArgs(argv: string[]): AnalyticsArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-of': { type: 'string' },
      validate: { type: 'boolean', default: false },
      'calibration-end': { type: 'string' },
      'holdout-end': { type: 'string' },
      chart: { type: 'string', default: 'analytics-validation.svg' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new RangeError(USAGE);
  const args: AnalyticsArgs = {
    asOf: date('--as-of', values['as-of']),
    validate: values.validate ?? false,
    calibrationEnd: date('--calibration-end', values['calibration-end']),
    holdoutEnd: date('--holdout-end', values['holdout-end']),
    chart: values.chart ?? 'analytics-validation.svg',
  };
  if (!args.validate && (args.calibrationEnd || args.holdoutEnd)) throw new RangeError('--calibration-end and --holdout-end go with --validate');
  return args;
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  let args: AnalyticsArgs;
  try {
    args = parseAnalyticsArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    if (!(err as Error).message.startsWith('npm run')) console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  const db = await connectCliDatabase(config, logger);
  const orm = await initOrm(db.url);
  try {
    const em = orm.em.fork() as EntityManager;
    if (args.validate) {
      const holdoutEnd = args.holdoutEnd ?? args.asOf ?? new Date();
      const calibrationEnd = args.calibrationEnd ?? new Date(holdoutEnd.getTime() - 26 * 7 * 86_400_000);
      const report = await validateModels(em, { calibrationEnd, holdoutEnd, timeZone: config.analyticsTimeZone });
      const chart = resolve(args.chart);
      writeFileSync(chart, validationChartSvg(report));
      console.log(formatValidationReport(report));
      console.log(`Chart: ${chart}`);
      return;
    }
    const run = await runAnalytics(em, { asOf: args.asOf, timeZone: config.analyticsTimeZone, costToServeMinor: config.analyticsCostToServeMinor, log: (m, d) => logger.info(d ?? {}, m) });
    if (!run) {
      logger.warn('another analytics run holds the lock; nothing done');
      process.exitCode = 3;
      return;
    }
    const pm = run.metrics.purchaseModel;
    logger.info({ asOf: (args.asOf ?? null) && args.asOf!.toISOString(), customers: run.metrics.customers, withOrders: run.metrics.withOrders, modelVersion: run.metrics.modelVersion, purchaseModel: pm && { model: pm.model, params: pm.params, holdout: pm.candidates?.map((c) => ({ model: c.model, holdoutLogLikelihood: c.holdoutLogLikelihood })) }, gammaGamma: run.metrics.gammaGamma, timingsMs: run.metrics.timingsMs, segments: run.segments, similarities: run.similarities, offersAttributed: run.offersAttributed, ms: run.durationMs }, 'analytics done');
  } finally {
    await orm.close();
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
