import { Entity, Index, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { LifecycleStage } from '../analytics/enums';

/** The figures of one analytics run, kept for trends (the run itself overwrites customer_metrics). */
@Entity({ tableName: 'analytics_runs' })
@Index({ name: 'analytics_runs_as_of_idx', properties: ['asOf'] })
export class AnalyticsRunRecord {
  [OptionalProps]?: 'computedAt' | 'segmentSizes';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  /** The instant the run computed as of (now, or the as-of instant of a backfill). */
  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  computedAt: Date = new Date();

  @Property({ type: 'text' })
  modelVersion!: string;

  @Property({ type: 'integer' })
  customers!: number;

  /** { stage: customers } */
  @Property({ type: 'jsonb' })
  stageCounts!: Record<string, number>;

  /** { tier: customers } */
  @Property({ type: 'jsonb' })
  tierCounts!: Record<string, number>;

  /** Customers active (new, active, won back) in the previous run: churnRate's denominator; null on the first run. */
  @Property({ type: 'integer', nullable: true })
  previousActive?: number | null;

  @Property({ type: 'double precision', nullable: true })
  churnRate?: number | null;

  /** [{ currency, amountMinor }]: CLVs are in each customer's currency, so summed per currency. */
  @Property({ type: 'jsonb' })
  clvTotals!: Array<{ currency: string; amountMinor: number }>;

  @Property({ type: 'text', nullable: true })
  purchaseModel?: string | null;

  /** { r, alpha, a, b } of the purchase model. */
  @Property({ type: 'jsonb', nullable: true })
  modelParams?: Record<string, number> | null;

  @Property({ type: 'double precision', nullable: true })
  logLikelihood?: number | null;

  /** { p, q, v } of Gamma-Gamma. */
  @Property({ type: 'jsonb', nullable: true })
  gammaGammaParams?: Record<string, number> | null;

  /** [{ segmentId, name, customers }] after the run's segment evaluation (names as they were). */
  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  segmentSizes: Array<{ segmentId: string; name: string; customers: number }> = [];
}

/**
 * A customer's lifecycle-stage change, one row per change (from null: the customer's first stage),
 * written by the analytics run that saw it. Independent of customer_lifecycle_states (the outbox's
 * last-announced stage, maintained by a trigger): this is the full history, that is the latest only.
 */
@Entity({ tableName: 'customer_lifecycle_transitions' })
@Index({ name: 'customer_lifecycle_transitions_customer_idx', properties: ['customerId', 'at'] })
export class LifecycleTransitionRecord {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'uuid' })
  customerId!: string;

  @Property({ type: 'uuid' })
  @Index({ name: 'customer_lifecycle_transitions_run_idx' })
  runId!: string;

  @Property({ type: 'text', nullable: true })
  fromStage?: LifecycleStage | null;

  @Property({ type: 'text' })
  toStage!: LifecycleStage;

  /** The run's as-of instant. */
  @Property({ type: 'timestamptz' })
  at!: Date;
}
