import { Arg, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Customer, CustomerMetrics, Segment, SegmentMembership } from '../../entities';
import type { Context } from '../../context';
import { expectGlobalId, fromGlobalId } from '../../schema/global-id';
import { ConnectionType, toConnection } from '../../schema/connection';
import { DateTimeScalar } from '../../schema/scalars';
import { checkFirst, decodeCursor, keysetPage } from '../../services/pagination';
import { createSegment, deleteSegment, updateSegment } from '../../analytics/segments.service';
import { runAnalytics } from '../../analytics/run';
import { badInput, conflict } from '../../errors/domain-error';
import { listCustomers, CustomerSortField, SortDirection } from '../../services/customer.service';
import { CreateSegmentInput, UpdateSegmentInput } from './analytics.inputs';
import { CustomerConnection } from '../customer/customer.types';
import { writeAudit } from '../common/audit';
import type { SegmentRule } from '../../analytics/segment-rule';

export const SegmentMembershipConnection = ConnectionType(SegmentMembership, 'SegmentMembership');

@ObjectType('AnalyticsRun')
export class AnalyticsRun {
  @Field(() => Int) customers!: number;
  @Field(() => Int) segmentsEvaluated!: number;
  @Field(() => Int, { description: 'Rows of the item-to-item similarity table written (product pairs).' }) productSimilarities!: number;
  @Field(() => Int) durationMs!: number;
  @Field(() => String, { description: 'Models that scored this run, e.g. rfm-q5+mbgnbd+gg/2 (the purchase model is chosen per run by holdout log-likelihood).' })
  modelVersion!: string;
  @Field(() => DateTimeScalar, { description: 'The instant the run computed as of.' }) asOf!: Date;
}

@Resolver(() => Customer)
export class CustomerValueResolver {
  @FieldResolver(() => CustomerMetrics, { nullable: true, name: 'value', description: 'Metrics from the last analytics run; null before the first.' })
  value(@Root() customer: Customer, @Ctx() ctx: Context): Promise<CustomerMetrics | null> {
    return ctx.loaders.metricsByCustomer.load(customer.id);
  }
}

@Resolver(() => Segment)
export class SegmentResolver {
  @Query(() => [Segment])
  segments(@Ctx() ctx: Context): Promise<Segment[]> {
    return ctx.em.find(Segment, {}, { orderBy: { name: 'asc' } });
  }

  @Query(() => Segment, { nullable: true })
  segment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Segment | null> | null {
    const parsed = fromGlobalId(id);
    return parsed?.type === 'Segment' ? ctx.em.findOne(Segment, { id: parsed.id }) : null;
  }

  @FieldResolver(() => Int, { description: 'Current members: kept current by every write that changes what the rule reads (see README "Segments").' })
  memberCount(@Root() segment: Segment, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.segmentMemberCount.load(segment.id);
  }

  @FieldResolver(() => CustomerConnection, { description: 'Current members.' })
  async customers(
    @Root() segment: Segment,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return toConnection(await listCustomers(ctx.em, {
      first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), filter: { segmentId: segment.id },
      sort: CustomerSortField.CREATED_AT, direction: SortDirection.DESC,
    }));
  }

  @FieldResolver(() => SegmentMembershipConnection, { description: 'Who entered since a time (e.g. "entered at-risk this week"), newest first.' })
  entered(
    @Root() segment: Segment,
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return membershipPage(ctx, segment.id, 'entered_at', since, first, after);
  }

  @FieldResolver(() => SegmentMembershipConnection, { description: 'Who left since a time, newest first.' })
  left(
    @Root() segment: Segment,
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return membershipPage(ctx, segment.id, 'left_at', since, first, after);
  }

  @Mutation(() => Segment, { description: 'Saves a segment and evaluates it at once.' })
  createSegment(@Arg('input', () => CreateSegmentInput) input: CreateSegmentInput, @Ctx() ctx: Context): Promise<Segment> {
    return createSegment(ctx.em, { ...input, rule: input.rule as SegmentRule }, ctx.viewer!.subject, writeAudit(ctx, 'createSegment'));
  }

  @Mutation(() => Segment)
  updateSegment(@Arg('input', () => UpdateSegmentInput) input: UpdateSegmentInput, @Ctx() ctx: Context): Promise<Segment> {
    const { id, ...rest } = input;
    return updateSegment(ctx.em, expectGlobalId(id, 'Segment', 'input.id'), {
      name: rest.name ?? undefined, description: rest.description, rule: (rest.rule ?? undefined) as SegmentRule | undefined,
    }, writeAudit(ctx, 'updateSegment'));
  }

  @Mutation(() => Boolean)
  deleteSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return deleteSegment(ctx.em, expectGlobalId(id, 'Segment', 'id'), writeAudit(ctx, 'deleteSegment'));
  }

  @Mutation(() => AnalyticsRun, { description: 'Recomputes every metric and segment now (the scheduler does this periodically), or as if now were `asOf`: orders, interactions and feedback after it are ignored.' })
  async recomputeAnalytics(
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: Date | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<AnalyticsRun> {
    const now = new Date();
    if (asOf && asOf > now) throw badInput('asOf must not be in the future', 'asOf');
    const run = await runAnalytics(ctx.em, { asOf: asOf ?? now, timeZone: ctx.config.analyticsTimeZone, costToServeMinor: ctx.config.analyticsCostToServeMinor });
    if (!run) throw conflict('an analytics run is already in progress');
    return {
      customers: run.metrics.customers, segmentsEvaluated: run.segments.length, productSimilarities: run.similarities.pairs, durationMs: run.durationMs,
      modelVersion: run.metrics.modelVersion, asOf: asOf ?? now,
    };
  }
}

@Resolver(() => SegmentMembership)
export class SegmentMembershipResolver {
  @FieldResolver(() => Customer)
  async customer(@Root() m: SegmentMembership, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(m.customer.id))!;
  }
}

async function membershipPage(ctx: Context, segmentId: string, column: 'entered_at' | 'left_at', since: Date, first: number, after: string | null) {
  return toConnection(await keysetPage(ctx.em, {
    entity: SegmentMembership, table: 'segment_memberships', clauses: ['a.segment_id = ?', `a.${column} >= ?`], params: [segmentId, since],
    sortColumn: column, sortCast: 'timestamptz', direction: 'desc', first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after),
  }));
}
