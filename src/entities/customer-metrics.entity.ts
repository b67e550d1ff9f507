import { Entity, Index, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { Money } from '../schema/money';
import { LifecycleStage, ValueTier } from '../analytics/enums';

@ObjectType('RfmScore', { description: 'Recency, frequency and monetary quintile scores (5 = best); ties share a score.' })
export class RfmScore {
  @Field(() => Int) recency!: number;
  @Field(() => Int) frequency!: number;
  @Field(() => Int) monetary!: number;
}

/**
 * Per-customer metrics, recomputed in bulk by the analytics job (set-based SQL plus model fits).
 * One row per customer; exposed on the graph as Customer.value.
 */
@ObjectType('CustomerValue', { description: 'How a customer differs in value and needs: recomputed in bulk by `npm run analytics`.' })
@Entity({ tableName: 'customer_metrics' })
@Index({ name: 'customer_metrics_clv_idx', properties: ['clv12mMinor'] })
@Index({ name: 'customer_metrics_churn_idx', properties: ['churnRisk'] })
@Index({ name: 'customer_metrics_segment_idx', properties: ['rfmSegment'] })
export class CustomerMetrics {
  [OptionalProps]?: 'computedAt' | 'rfm' | 'historicValue' | 'monetaryAverage' | 'expectedOrderValue' | 'clv12m' | 'marginClv12m';

  @PrimaryKey({ type: 'uuid' })
  customerId!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  computedAt: Date = new Date();

  @Field(() => String)
  @Property({ type: 'text' })
  modelVersion!: string;

  /** The currency of the customer's orders (the most used one). Null for prospects. */
  @Field(() => String, { nullable: true, description: 'Currency of the amounts below: the one most of the orders used.' })
  @Property({ type: 'character', length: 3, nullable: true })
  currency?: string | null;

  @Field(() => Int)
  @Property({ type: 'integer' })
  ordersCount!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  firstOrderAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastOrderAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Days since the last order.' })
  @Property({ type: 'integer', nullable: true })
  recencyDays?: number | null;

  /** Repeat transaction days (the purchase model's x). */
  @Field(() => Int, { description: 'Repeat transactions: calendar days with a kept order, after the first (several orders on one day are one transaction).' })
  @Property({ type: 'integer' })
  frequency!: number;

  @Property({ type: 'bigint', nullable: true })
  monetaryAvgMinor?: string | null;

  @Property({ type: 'bigint' })
  historicValueMinor!: string;

  @Property({ type: 'smallint', nullable: true })
  rScore?: number | null;

  @Property({ type: 'smallint', nullable: true })
  fScore?: number | null;

  @Property({ type: 'smallint', nullable: true })
  mScore?: number | null;

  @Field(() => String, { description: "Champions, Loyal, Potential Loyalists, New Customers, Need Attention, At Risk, Can't Lose Them, Hibernating, Lost, or Prospect." })
  @Property({ type: 'text' })
  rfmSegment!: string;

  @Field(() => Float, { nullable: true, description: 'Expected transactions (purchase days) in the next 12 months, from the purchase model.' })
  @Property({ type: 'double', nullable: true })
  predictedPurchases12m?: number | null;

  @Field(() => Float, { nullable: true, description: 'Purchase-model probability that the customer is still active (has not dropped out).' })
  @Property({ type: 'double', nullable: true })
  pAlive?: number | null;

  @Property({ type: 'double', nullable: true })
  expectedSpendMinor?: number | null;

  @Property({ type: 'bigint', nullable: true })
  clv12mMinor?: string | null;

  /** clv12m net of the cost of goods (products.unit_cost_minor) and the cost to serve each order (README "Differentiate"). */
  @Property({ type: 'bigint', nullable: true })
  marginClv12mMinor?: string | null;

  @Field(() => Float, { description: '0 = engaged as before, 1 = no interactions in the last 30 days after activity in the 60 before.' })
  @Property({ type: 'double' })
  engagementDecline!: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  negativeFeedback90d!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Probability (0..1) of no purchase in the next 90 days, from the purchase model (BG/NBD or MBG/NBD, see modelVersion). Null for prospects (no orders) and when no model could be fitted.',
  })
  @Property({ type: 'double', nullable: true })
  churnRisk?: number | null;

  // Tier and stage rest on model outputs (CLV rank, P(alive)): null when model scores are withheld.
  @Field(() => ValueTier, { nullable: true })
  @Property({ type: 'text' })
  @Index({ name: 'customer_metrics_tier_idx' })
  valueTier!: ValueTier | null;

  @Field(() => LifecycleStage, { nullable: true })
  @Property({ type: 'text' })
  @Index({ name: 'customer_metrics_stage_idx' })
  lifecycleStage!: LifecycleStage | null;

  /** Set by the loader at read time from the PROFILING consent (src/auth/policy.ts PROFILING_OBJECTION); not stored. */
  modelScoresWithheld?: string | null;

  @Field(() => Boolean, { description: 'False when model-based scores (pAlive, predictedPurchases12m, expectedOrderValue, clv12m, marginClv12m, churnRisk, valueTier, lifecycleStage) are withheld; see modelScoresUnavailableReason.' })
  get modelScoresAvailable(): boolean {
    return !this.modelScoresWithheld;
  }

  @Field(() => String, { nullable: true, description: 'Why model-based scores are withheld, e.g. "PROFILING consent withdrawn".' })
  get modelScoresUnavailableReason(): string | null {
    return this.modelScoresWithheld ?? null;
  }

  @Field(() => RfmScore, { nullable: true })
  get rfm(): RfmScore | null {
    return this.rScore == null ? null : { recency: this.rScore, frequency: this.fScore!, monetary: this.mScore! };
  }

  @Field(() => Money, { nullable: true, description: 'Total of kept orders so far.' })
  get historicValue(): Money | null {
    return this.currency ? new Money(Number(this.historicValueMinor), this.currency) : null;
  }

  @Field(() => Money, { nullable: true })
  get monetaryAverage(): Money | null {
    return this.currency && this.monetaryAvgMinor != null ? new Money(Number(this.monetaryAvgMinor), this.currency) : null;
  }

  @Field(() => Money, { nullable: true, description: 'Gamma-Gamma expected value of a future order.' })
  get expectedOrderValue(): Money | null {
    return this.currency && this.expectedSpendMinor != null ? new Money(Math.round(this.expectedSpendMinor), this.currency) : null;
  }

  @Field(() => Money, { nullable: true, description: 'Discounted expected value of the next 12 months (purchase model × Gamma-Gamma).' })
  get clv12m(): Money | null {
    return this.currency && this.clv12mMinor != null ? new Money(Number(this.clv12mMinor), this.currency) : null;
  }

  @Field(() => Money, {
    nullable: true,
    description: 'clv12m net of costs: each expected order\'s value times the customer\'s gross-margin share (from products\' unit costs; lines without one count as costless), minus the cost to serve an order (ANALYTICS_COST_TO_SERVE_MINOR). May be negative.',
  })
  get marginClv12m(): Money | null {
    return this.currency && this.marginClv12mMinor != null ? new Money(Number(this.marginClv12mMinor), this.currency) : null;
  }
}
