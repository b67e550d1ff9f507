import { Arg, Ctx, Field, FieldResolver, Float, ID, Int, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import { Customer, Offer } from '../../entities';
import { checkFirst } from '../../services/pagination';
import { CampaignOfferResult, CampaignResults, CampaignVariantResult } from './campaign-results.types';
import type { Context } from '../../context';
import { DateTimeScalar } from '../../schema/scalars';
import { expectGlobalId, toGlobalId } from '../../schema/global-id';
import { campaignMetrics, feedbackSummary, FeedbackGroupBy, InsightPeriod } from '../../services/insights.service';

registerEnumType(InsightPeriod, { name: 'InsightPeriod', description: 'Calendar buckets in UTC; weeks start on Monday.' });
registerEnumType(FeedbackGroupBy, { name: 'FeedbackGroupBy' });

@ObjectType('FeedbackSummaryRow', { description: 'Feedback aggregates for one period and group. No personal data.' })
export class FeedbackSummaryRow {
  @Field(() => DateTimeScalar, { description: 'Start of the week or month (UTC).' }) periodStart!: Date;
  @Field(() => String, { nullable: true, description: 'Segment id, product SKU or category; null when not grouped, or for feedback tied to no product.' })
  groupKey!: string | null;
  @Field(() => String, { nullable: true, description: 'Segment name, product name or category.' }) groupLabel!: string | null;
  @Field(() => Int, { description: 'Feedback items of every kind.' }) responses!: number;
  @Field(() => Int) npsResponses!: number;
  @Field(() => Int, { description: 'NPS scores 9–10.' }) promoters!: number;
  @Field(() => Int, { description: 'NPS scores 7–8.' }) passives!: number;
  @Field(() => Int, { description: 'NPS scores 0–6.' }) detractors!: number;
  @Field(() => Float, { nullable: true, description: '% promoters − % detractors (−100…100); null without NPS responses.' }) nps!: number | null;
  @Field(() => Int) csatResponses!: number;
  @Field(() => Float, { nullable: true, description: 'Mean CSAT score (1–5).' }) csatAverage!: number | null;
  @Field(() => Float, { nullable: true, description: '% of CSAT responses scoring 4 or 5 (0–100).' }) csatSatisfiedPercent!: number | null;
  @Field(() => Int) complaints!: number;
  @Field(() => Int) complaintsResolved!: number;
  @Field(() => Float, { nullable: true, description: 'Median hours from submission to resolution of resolved complaints (interpolated).' })
  resolutionHoursMedian!: number | null;
  @Field(() => Float, { nullable: true, description: '90th percentile of the same (interpolated).' }) resolutionHoursP90!: number | null;
}

@ObjectType('CampaignMetricsRow', { description: 'Interaction aggregates for one campaign (and segment). No personal data.' })
export class CampaignMetricsRow {
  @Field(() => String) campaign!: string;
  @Field(() => ID, { nullable: true, description: 'With bySegment: the segment.' }) segmentId!: string | null;
  @Field(() => String, { nullable: true }) segmentName!: string | null;
  @Field(() => Int, { description: 'email_send, sms_send and push_send events.' }) sends!: number;
  @Field(() => Int, { description: 'email_open events.' }) opens!: number;
  @Field(() => Int, { description: 'email_click events.' }) clicks!: number;
  @Field(() => Int, { description: 'Distinct customers with any event of the campaign (HELD_OUT is not one).' }) customersReached!: number;
  @Field(() => Int, { description: 'Distinct customers who clicked.' }) customersClicked!: number;
  @Field(() => Int, { description: 'Clickers with a kept order (not cancelled or returned) within 7 days after a click.' }) conversions!: number;
  @Field(() => Float, { nullable: true, description: 'opens / sends.' }) openRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'clicks / sends.' }) clickRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'clicks / opens.' }) clickToOpenRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'conversions / customersClicked.' }) conversionRate!: number | null;
}

@Resolver()
export class InsightsResolver {
  @Query(() => [FeedbackSummaryRow], { description: 'NPS, CSAT and complaint handling per week or month, optionally per segment, product or category.' })
  async feedbackSummary(
    @Arg('period', () => InsightPeriod) period: InsightPeriod,
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('groupBy', () => FeedbackGroupBy, { defaultValue: FeedbackGroupBy.NONE }) groupBy: FeedbackGroupBy,
    @Arg('segmentId', () => ID, { nullable: true, description: "Only the segment's current members." }) segmentId: string | null,
    @Ctx() ctx: Context,
  ): Promise<FeedbackSummaryRow[]> {
    const segment = segmentId == null ? null : expectGlobalId(segmentId, 'Segment', 'segmentId');
    const rows = await feedbackSummary(ctx.em, { period, since, groupBy, segmentId: segment });
    return groupBy === FeedbackGroupBy.SEGMENT ? rows.map((r) => ({ ...r, groupKey: r.groupKey && toGlobalId('Segment', r.groupKey) })) : rows;
  }

  @Query(() => [CampaignMetricsRow], { description: 'Sends, opens, clicks and 7-day conversions per campaign since a time.' })
  async campaignMetrics(
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('campaign', () => String, { nullable: true }) campaign: string | null,
    @Arg('segmentId', () => ID, { nullable: true, description: "Only the segment's current members." }) segmentId: string | null,
    @Arg('bySegment', () => Boolean, { defaultValue: false, description: 'A row per campaign and segment (current members).' }) bySegment: boolean,
    @Ctx() ctx: Context,
  ): Promise<CampaignMetricsRow[]> {
    const segment = segmentId == null ? null : expectGlobalId(segmentId, 'Segment', 'segmentId');
    const rows = await campaignMetrics(ctx.em, { since, campaign, segmentId: segment, bySegment });
    return rows.map((r) => ({ ...r, segmentId: r.segmentId && toGlobalId('Segment', r.segmentId) }));
  }
}

/** Largest converters list per offer. */
const MAX_CONVERTERS = 500;

@Resolver(() => CampaignMetricsRow)
export class CampaignMetricsRowResolver {
  @FieldResolver(() => CampaignResults, { nullable: true, description: 'Holdout-controlled results over the whole campaign (not only since `since`); null for a code no campaign has.' })
  results(@Root() row: CampaignMetricsRow, @Ctx() ctx: Context): Promise<CampaignResults | null> {
    return ctx.loaders.campaignResultsByCode.load(row.campaign);
  }
}

@Resolver(() => CampaignVariantResult)
export class CampaignVariantResultResolver {
  @FieldResolver(() => Offer, { nullable: true })
  offer(@Root() v: CampaignVariantResult, @Ctx() ctx: Context): Promise<Offer | null> {
    return ctx.loaders.offerById.load(v.offerId);
  }
}

@Resolver(() => CampaignOfferResult)
export class CampaignOfferResultResolver {
  @FieldResolver(() => Offer, { nullable: true })
  offer(@Root() r: CampaignOfferResult, @Ctx() ctx: Context): Promise<Offer | null> {
    return ctx.loaders.offerById.load(r.offerId);
  }

  @FieldResolver(() => [Customer], { description: "Customers with an order attributed to the offer, latest order first. Each customer's fields keep their own rules." })
  async converters(
    @Root() r: CampaignOfferResult,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<Customer[]> {
    const ids = await ctx.loaders.offerConverters.load({ offerId: r.offerId, first: checkFirst(first, MAX_CONVERTERS) });
    const found = await ctx.loaders.customerById.loadMany(ids);
    return found.filter((c): c is Customer => c != null && !(c instanceof Error));
  }
}
