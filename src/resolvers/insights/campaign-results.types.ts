import { Field, Float, Int, ObjectType } from 'type-graphql';

// Campaign results (src/campaigns/results.ts); every figure is defined in README "Campaign insights".
// Money figures are Float minor units of `CampaignResults.currency`: sums and means need not be whole.

@ObjectType('ConfidenceInterval', { description: 'An estimate with its 95 % confidence interval.' })
export class ConfidenceInterval {
  @Field(() => Float) estimate!: number;
  @Field(() => Float) low!: number;
  @Field(() => Float) high!: number;
}

@ObjectType('CampaignGroupFigures', { description: 'One group of a campaign (exposed, control, or one variant). Aggregates only.' })
export class CampaignGroupFigures {
  @Field(() => Int, { description: 'Customers in the group.' }) customers!: number;
  @Field(() => Int, { description: 'Customers with a kept order within the window after entry (or coded to the campaign).' }) converters!: number;
  @Field(() => Float, { nullable: true, description: 'converters / customers.' }) conversionRate!: number | null;
  @Field(() => Float, { description: "Subtotal of the converters' window orders, minor units." }) revenueMinor!: number;
  @Field(() => Float, { nullable: true, description: 'revenueMinor / customers.' }) revenuePerCustomer!: number | null;
  @Field(() => Float, { description: 'Subtotal of orders attributed to the campaign (code at checkout, else last touch).' }) attributedRevenueMinor!: number;
  @Field(() => Float, { nullable: true, description: 'attributedRevenueMinor / customers.' }) attributedRevenuePerCustomer!: number | null;
  @Field(() => Int, { description: "Customers who accepted one of the campaign's offers." }) accepted!: number;
  @Field(() => Float, { nullable: true, description: 'accepted / customers.' }) acceptanceRate!: number | null;
}

@ObjectType('CampaignVariantResult', { description: 'One A/B variant (an offer with a weight) against the control group and against the baseline variant.' })
export class CampaignVariantResult {
  offerId!: string;
  @Field(() => Int) weight!: number;
  @Field(() => CampaignGroupFigures) exposed!: CampaignGroupFigures;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Conversion rate − control conversion rate.' }) uplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Conversion rate / control rate − 1.' }) relativeUplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true }) revenuePerCustomerUplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true }) incrementalRevenueMinor!: ConfidenceInterval | null;
  @Field(() => Float, { nullable: true }) incrementalConversions!: number | null;
  @Field(() => String, { description: 'This variant against the control group, in words.' }) verdict!: string;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Acceptance rate − the baseline variant’s; null for the baseline.' }) acceptanceVsBaseline!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Attributed revenue per customer − the baseline’s; null for the baseline.' })
  attributedRevenueVsBaseline!: ConfidenceInterval | null;
  @Field(() => String, { description: 'On acceptance, against the baseline (the first variant by offer code): "B better than A", "no difference yet"…' }) comparison!: string;
}

@ObjectType('CampaignOfferResult', { description: 'Orders attributed to one offer of the campaign.' })
export class CampaignOfferResult {
  offerId!: string;
  @Field(() => Int) attributedOrders!: number;
  @Field(() => Int, { description: 'Distinct customers with an attributed order.' }) converterCount!: number;
  @Field(() => Float) attributedRevenueMinor!: number;
}

@ObjectType('CampaignResults', { description: 'Holdout-controlled results of a campaign (README "Campaign insights").' })
export class CampaignResults {
  campaignId!: string;
  @Field(() => String, { nullable: true, description: 'Currency of every money figure: the campaign’s, else its offers’.' }) currency!: string | null;
  @Field(() => Int) controlPercent!: number;
  @Field(() => Int) attributionWindowDays!: number;
  @Field(() => CampaignGroupFigures, { description: 'Customers exposed to the campaign and not held out.' }) exposed!: CampaignGroupFigures;
  @Field(() => CampaignGroupFigures, { description: 'Customers held out (HELD_OUT).' }) control!: CampaignGroupFigures;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Exposed conversion rate − control conversion rate (absolute uplift).' }) uplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Exposed rate / control rate − 1; null while either group has no converter.' }) relativeUplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'Exposed revenue per customer − control revenue per customer.' }) revenuePerCustomerUplift!: ConfidenceInterval | null;
  @Field(() => ConfidenceInterval, { nullable: true, description: 'revenuePerCustomerUplift × exposed customers.' }) incrementalRevenueMinor!: ConfidenceInterval | null;
  @Field(() => Float, { nullable: true, description: 'Absolute uplift × exposed customers.' }) incrementalConversions!: number | null;
  @Field(() => String, { description: 'The campaign against its control group, in words.' }) verdict!: string;
  @Field(() => Float, { nullable: true, description: 'The campaign cost, minor units.' }) costMinor!: number | null;
  @Field(() => Float, { description: 'Discounts given on orders coded to the campaign by exposed customers.' }) discountsMinor!: number;
  @Field(() => Float, { nullable: true, description: '(incremental revenue − cost − discounts) / (cost + discounts); null when nothing was spent.' }) roi!: number | null;
  @Field(() => [CampaignVariantResult]) variants!: CampaignVariantResult[];
  @Field(() => [CampaignOfferResult]) offers!: CampaignOfferResult[];
}

