import { Field, ID, InputType, Int } from 'type-graphql';
import { ConsentPurpose } from '../../entities/enums';
import { CampaignStatus, OfferChannel, OfferGoal, OfferResponse, OfferStatus } from '../../entities/offer-enums';
import { DateTimeScalar, SafeIntScalar } from '../../schema/scalars';

@InputType('CreateCampaignInput')
export class CreateCampaignInput {
  @Field(() => String, { description: 'Unique; the code interactions carry in `campaign`. Fixed once created.' }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [OfferChannel]) channels!: OfferChannel[];
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive, after startsAt; null: open-ended.' }) endsAt?: Date | null;
  @Field(() => CampaignStatus, { nullable: true, description: 'Default DRAFT.' }) status?: CampaignStatus | null;
  @Field(() => Int, { nullable: true, description: 'Percent of eligible customers held out as a control group, 0 to 50 (default 0); fixed once the campaign leaves DRAFT.' })
  controlPercent?: number | null;
  @Field(() => Int, { nullable: true, description: 'Days after an exposure (control: after assignment) in which an order counts, 1 to 90 (default 7).' })
  attributionWindowDays?: number | null;
  @Field(() => SafeIntScalar, { nullable: true, description: 'What running the campaign cost (discounts apart), minor units of `currency`; for ROI.' }) costMinor?: number | null;
  @Field(() => String, { nullable: true, description: "ISO 4217: the cost's and every result's currency; null: the offers' currency." }) currency?: string | null;
}

@InputType('UpdateCampaignInput', { description: 'Absent fields are kept; endsAt: null makes the campaign open-ended.' })
export class UpdateCampaignInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [OfferChannel], { nullable: true }) channels?: OfferChannel[] | null;
  @Field(() => DateTimeScalar, { nullable: true }) startsAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) endsAt?: Date | null;
  @Field(() => CampaignStatus, { nullable: true }) status?: CampaignStatus | null;
  @Field(() => Int, { nullable: true, description: 'Only while the campaign is DRAFT.' }) controlPercent?: number | null;
  @Field(() => Int, { nullable: true }) attributionWindowDays?: number | null;
  @Field(() => SafeIntScalar, { nullable: true, description: 'null clears it.' }) costMinor?: number | null;
  @Field(() => String, { nullable: true }) currency?: string | null;
}

@InputType('CreateOfferInput')
export class CreateOfferInput {
  @Field(() => String) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => ID, { nullable: true }) campaignId?: string | null;
  @Field(() => OfferGoal, { nullable: true, description: 'Default GENERAL.' }) goal?: OfferGoal | null;
  @Field(() => SafeIntScalar, { description: 'Worth of one acceptance to the business, in minor units of `currency`.' }) valueMinor!: number;
  @Field(() => String, { description: 'ISO 4217.' }) currency!: string;
  @Field(() => Int, { nullable: true }) discountPercent?: number | null;
  @Field(() => SafeIntScalar, { nullable: true, description: 'Fixed amount off, in minor units of `currency`.' }) discountMinor?: number | null;
  @Field(() => [ID], { nullable: true, description: 'A member of any of these segments is eligible; none: everyone.' }) targetSegmentIds?: string[] | null;
  @Field(() => ConsentPurpose, { nullable: true }) consentPurpose?: ConsentPurpose | null;
  @Field(() => [OfferChannel]) channels!: OfferChannel[];
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true, description: 'Default 1; null: unlimited.' }) maxAcceptancesPerCustomer?: number | null;
  @Field(() => OfferStatus, { nullable: true, description: 'Default DRAFT.' }) status?: OfferStatus | null;
  @Field(() => Int, { nullable: true, description: "Makes the offer an A/B variant of its campaign, drawn with this weight (1 to 1000); only while the campaign is DRAFT." })
  variantWeight?: number | null;
}

@InputType('UpdateOfferInput', { description: 'Absent fields are kept; null clears an optional one.' })
export class UpdateOfferInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) code?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => ID, { nullable: true }) campaignId?: string | null;
  @Field(() => OfferGoal, { nullable: true }) goal?: OfferGoal | null;
  @Field(() => SafeIntScalar, { nullable: true }) valueMinor?: number | null;
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => Int, { nullable: true }) discountPercent?: number | null;
  @Field(() => SafeIntScalar, { nullable: true }) discountMinor?: number | null;
  @Field(() => [ID], { nullable: true }) targetSegmentIds?: string[] | null;
  @Field(() => ConsentPurpose, { nullable: true }) consentPurpose?: ConsentPurpose | null;
  @Field(() => [OfferChannel], { nullable: true }) channels?: OfferChannel[] | null;
  @Field(() => DateTimeScalar, { nullable: true }) startsAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true }) maxAcceptancesPerCustomer?: number | null;
  @Field(() => OfferStatus, { nullable: true }) status?: OfferStatus | null;
  @Field(() => Int, { nullable: true, description: 'null: no longer a variant. Only while the campaign is DRAFT.' }) variantWeight?: number | null;
}

@InputType('RecordOfferResponseInput')
export class RecordOfferResponseInput {
  @Field(() => ID) customerId!: string;
  @Field(() => ID) offerId!: string;
  @Field(() => OfferChannel) channel!: OfferChannel;
  @Field(() => OfferResponse) response!: OfferResponse;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now; required with idempotencyKey.' }) occurredAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'Makes the call idempotent (the interaction sourceEventId, source "offers").' }) idempotencyKey?: string | null;
}
