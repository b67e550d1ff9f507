import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { ComparisonOp, LifecycleStage, MetricField, PreferenceSource, TraitOp, ValueTier } from '../../analytics/enums';
import { PreferenceKind } from '../../entities/preference-enums';
import { DateTimeScalar } from '../../schema/scalars';
import { ConsentFilter } from '../common/consent-filter';
import { InteractionChannel, InteractionType } from '../../entities/enums';
import { SafeIntScalar } from '../../schema/scalars';

@InputType('CustomerValueFilter')
export class CustomerValueFilter {
  @Field(() => [String], { nullable: true }) rfmSegments?: string[] | null;
  @Field(() => [ValueTier], { nullable: true }) valueTiers?: ValueTier[] | null;
  @Field(() => [LifecycleStage], { nullable: true }) lifecycleStages?: LifecycleStage[] | null;
  @Field(() => Float, { nullable: true }) churnRiskAtLeast?: number | null;
  @Field(() => Float, { nullable: true }) churnRiskAtMost?: number | null;
  @Field(() => SafeIntScalar, { nullable: true }) clv12mAtLeastMinor?: number | null;
}

@InputType('MetricConditionInput')
export class MetricConditionInput {
  @Field(() => MetricField) field!: MetricField;
  @Field(() => ComparisonOp) op!: ComparisonOp;
  @Field(() => Float) value!: number;
}

@InputType('BoughtConditionInput', { description: 'Bought (kept orders) within the last `withinDays` days, optionally of a category, brand or sku.' })
export class BoughtConditionInput {
  @Field(() => String, { nullable: true }) category?: string | null;
  @Field(() => String, { nullable: true }) brand?: string | null;
  @Field(() => String, { nullable: true }) sku?: string | null;
  @Field(() => Int) withinDays!: number;
  @Field(() => Int, { nullable: true, defaultValue: 1 }) minOrders?: number | null;
}

@InputType('InteractedConditionInput')
export class InteractedConditionInput {
  @Field(() => InteractionChannel, { nullable: true }) channel?: InteractionChannel | null;
  @Field(() => InteractionType, { nullable: true }) type?: InteractionType | null;
  @Field(() => Int) withinDays!: number;
  @Field(() => Int, { nullable: true, defaultValue: 1 }) minCount?: number | null;
}

@InputType('ViewedConditionInput', { description: 'Viewed products (product_view interactions) within the last `withinDays` days, optionally of a category, brand or sku.' })
export class ViewedConditionInput {
  @Field(() => String, { nullable: true }) category?: string | null;
  @Field(() => String, { nullable: true }) brand?: string | null;
  @Field(() => String, { nullable: true }) sku?: string | null;
  @Field(() => Int) withinDays!: number;
  @Field(() => Int, { nullable: true, defaultValue: 1 }) minCount?: number | null;
}

@InputType('TraitConditionInput', { description: 'A custom trait compared by type: give exactly one of number, date, boolean, text, texts (none for EXISTS). A trait of another JSON type never matches.' })
export class TraitConditionInput {
  @Field(() => String) key!: string;
  @Field(() => TraitOp) op!: TraitOp;
  @Field(() => Float, { nullable: true }) number?: number | null;
  @Field(() => DateTimeScalar, { nullable: true }) date?: Date | null;
  @Field(() => Boolean, { nullable: true }) boolean?: boolean | null;
  @Field(() => String, { nullable: true }) text?: string | null;
  @Field(() => [String], { nullable: true }) texts?: string[] | null;
}

@InputType('PreferenceConditionInput', { description: 'The customer prefers a value: stated in the preference centre, or inferred from purchases and views (CATEGORY and BRAND; needs PERSONALIZATION consent, and is a model output).' })
export class PreferenceConditionInput {
  @Field(() => PreferenceKind) kind!: PreferenceKind;
  @Field(() => String) value!: string;
  @Field(() => PreferenceSource, { nullable: true, defaultValue: PreferenceSource.STATED }) source?: PreferenceSource | null;
}

@InputType('SegmentRuleInput', { description: 'Exactly one field per node; combine with all / any / not.' })
export class SegmentRuleInput {
  @Field(() => [SegmentRuleInput], { nullable: true }) all?: SegmentRuleInput[] | null;
  @Field(() => [SegmentRuleInput], { nullable: true }) any?: SegmentRuleInput[] | null;
  @Field(() => SegmentRuleInput, { nullable: true }) not?: SegmentRuleInput | null;
  @Field(() => MetricConditionInput, { nullable: true }) metric?: MetricConditionInput | null;
  @Field(() => [String], { nullable: true }) rfmSegmentIn?: string[] | null;
  @Field(() => [ValueTier], { nullable: true }) valueTierIn?: ValueTier[] | null;
  @Field(() => [LifecycleStage], { nullable: true }) lifecycleStageIn?: LifecycleStage[] | null;
  @Field(() => ConsentFilter, { nullable: true }) consent?: ConsentFilter | null;
  @Field(() => BoughtConditionInput, { nullable: true }) bought?: BoughtConditionInput | null;
  @Field(() => InteractedConditionInput, { nullable: true }) interacted?: InteractedConditionInput | null;
  @Field(() => ViewedConditionInput, { nullable: true }) viewed?: ViewedConditionInput | null;
  @Field(() => TraitConditionInput, { nullable: true }) trait?: TraitConditionInput | null;
  @Field(() => PreferenceConditionInput, { nullable: true }) prefers?: PreferenceConditionInput | null;
  @Field(() => [String], { nullable: true, description: 'ISO 3166-1 alpha-2 codes of the postal address.' }) country?: string[] | null;
}

@InputType('CreateSegmentInput')
export class CreateSegmentInput {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentRuleInput) rule!: SegmentRuleInput;
}

@InputType('UpdateSegmentInput')
export class UpdateSegmentInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentRuleInput, { nullable: true }) rule?: SegmentRuleInput | null;
}
