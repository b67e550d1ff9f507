import { Arg, Ctx, Field, FieldResolver, Float, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { AnalyticsRunRecord, Customer } from '../../entities';
import type { Context } from '../../context';
import { ConnectionType, toConnection } from '../../schema/connection';
import { DateTimeScalar } from '../../schema/scalars';
import { Money } from '../../schema/money';
import { toGlobalId } from '../../schema/global-id';
import { checkFirst, decodeCursor, keysetPage } from '../../services/pagination';
import { LifecycleStage, ValueTier } from '../../analytics/enums';
import type { LifecycleHistory } from '../../loaders/lifecycle-history.loader';

@ObjectType('StageCount')
export class StageCount {
  @Field(() => LifecycleStage) stage!: LifecycleStage;
  @Field(() => Int) customers!: number;
}

@ObjectType('TierCount')
export class TierCount {
  @Field(() => ValueTier) tier!: ValueTier;
  @Field(() => Int) customers!: number;
}

@ObjectType('PurchaseModelFit', { description: 'The purchase model a run chose, its parameters (time unit: weeks) and its log-likelihood on the fitted sample.' })
export class PurchaseModelFit {
  @Field(() => String, { description: 'bgnbd or mbgnbd.' }) model!: string;
  @Field(() => Float) r!: number;
  @Field(() => Float) alpha!: number;
  @Field(() => Float) a!: number;
  @Field(() => Float) b!: number;
  @Field(() => Float) logLikelihood!: number;
}

@ObjectType('SegmentSize')
export class SegmentSize {
  @Field(() => ID, { description: 'The segment\'s global id (it may have been deleted since).' }) segmentId!: string;
  @Field(() => String, { description: 'The name it had at the run.' }) name!: string;
  @Field(() => Int) customers!: number;
}

@ObjectType('AnalyticsHistoryEntry', { description: 'The aggregate figures one analytics run kept (README "Differentiate", History).' })
export class AnalyticsHistoryEntry {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeScalar, { description: 'The instant the run computed as of.' }) asOf!: Date;
  @Field(() => DateTimeScalar, { description: 'When the run happened.' }) computedAt!: Date;
  @Field(() => String) modelVersion!: string;
  @Field(() => Int) customers!: number;
  @Field(() => [StageCount], { description: 'Customers per lifecycle stage (stages with none omitted).' }) stages!: StageCount[];
  @Field(() => [TierCount], { description: 'Customers per value tier (tiers with none omitted).' }) tiers!: TierCount[];
  @Field(() => Int, { nullable: true, description: 'Customers new, active or won back in the previous run (the one before this, in run order); null for the first run.' })
  previousActiveCustomers!: number | null;
  @Field(() => Float, { nullable: true, description: 'Share of previousActiveCustomers whose stage is now lapsed; null without a previous run or active customers in it.' })
  churnRate!: number | null;
  @Field(() => [Money], { description: 'Total predicted 12-month CLV per currency.' }) clvTotals!: Money[];
  @Field(() => PurchaseModelFit, { nullable: true, description: 'Null when no purchase model could be fitted.' }) purchaseModel!: PurchaseModelFit | null;
  @Field(() => [SegmentSize], { description: 'Current members per segment after the run\'s evaluation.' }) segments!: SegmentSize[];
}

export const AnalyticsHistoryConnection = ConnectionType(AnalyticsHistoryEntry, 'AnalyticsHistoryEntry');

@ObjectType('LifecycleTransition', { description: 'A change of lifecycle stage seen by an analytics run.' })
export class LifecycleTransition {
  @Field(() => LifecycleStage, { nullable: true, description: 'Null for the customer\'s first stage.' }) from!: LifecycleStage | null;
  @Field(() => LifecycleStage) to!: LifecycleStage;
  @Field(() => DateTimeScalar, { description: 'The as-of instant of the run that saw it.' }) at!: Date;
  @Field(() => ID, { description: 'The AnalyticsHistoryEntry id of that run.' }) runId!: string;
}

@ObjectType('CustomerLifecycleHistory')
export class CustomerLifecycleHistory {
  @Field(() => Boolean, { description: 'False when withheld: stages are built on model scores, and the customer objected to PROFILING.' }) available!: boolean;
  @Field(() => String, { nullable: true }) unavailableReason!: string | null;
  @Field(() => [LifecycleTransition], { description: 'Oldest first; empty when unavailable.' }) transitions!: LifecycleTransition[];
}

const entry = (r: AnalyticsRunRecord): AnalyticsHistoryEntry => ({
  id: toGlobalId('AnalyticsHistoryEntry', r.id),
  asOf: r.asOf,
  computedAt: r.computedAt,
  modelVersion: r.modelVersion,
  customers: r.customers,
  stages: Object.entries(r.stageCounts).map(([stage, n]) => ({ stage: stage as LifecycleStage, customers: Number(n) })).sort((x, y) => x.stage.localeCompare(y.stage)),
  tiers: Object.entries(r.tierCounts).map(([tier, n]) => ({ tier: tier as ValueTier, customers: Number(n) })).sort((x, y) => x.tier.localeCompare(y.tier)),
  previousActiveCustomers: r.previousActive ?? null,
  churnRate: r.churnRate ?? null,
  clvTotals: r.clvTotals.map((c) => new Money(Number(c.amountMinor), c.currency)),
  purchaseModel: r.purchaseModel && r.modelParams
    ? { model: r.purchaseModel, r: r.modelParams.r, alpha: r.modelParams.alpha, a: r.modelParams.a, b: r.modelParams.b, logLikelihood: r.logLikelihood! }
    : null,
  segments: r.segmentSizes.map((s) => ({ segmentId: toGlobalId('Segment', s.segmentId), name: s.name, customers: Number(s.customers) })),
});

@Resolver(() => AnalyticsHistoryEntry)
export class AnalyticsHistoryResolver {
  @Query(() => AnalyticsHistoryConnection, { description: 'The figures each analytics run kept, latest as-of first: a time series of stages, tiers, churn, CLV, model fit and segment sizes.' })
  async analyticsHistory(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    const page = await keysetPage(ctx.em, {
      // Latest as-of first and, among runs of one as-of instant, the latest run first: fixed-width UTC
      // text sorts as the instants do (a re-run of an instant must not hide behind a random id).
      entity: AnalyticsRunRecord, table: 'analytics_runs', clauses: [], params: [], sortColumn: 'as_of', sortCast: 'text',
      sortExpr: `to_char(a.as_of at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' || to_char(a.computed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      direction: 'desc', first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after),
    });
    return toConnection({ ...page, nodes: page.nodes.map(entry) });
  }
}

@Resolver(() => Customer)
export class CustomerLifecycleHistoryResolver {
  @FieldResolver(() => CustomerLifecycleHistory, { description: 'Every lifecycle-stage change analytics runs saw, oldest first.' })
  async lifecycleHistory(@Root() customer: Customer, @Ctx() ctx: Context): Promise<CustomerLifecycleHistory> {
    const h: LifecycleHistory = await ctx.loaders.lifecycleHistory.load(customer.id);
    return {
      available: !h.withheld, unavailableReason: h.withheld,
      transitions: h.withheld ? [] : h.transitions.map((t) => ({ from: t.fromStage ?? null, to: t.toStage, at: t.at, runId: toGlobalId('AnalyticsHistoryEntry', t.runId) })),
    };
  }
}
