import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Money } from '../schema/money';
import { Campaign } from './campaign.entity';
import { ConsentPurpose } from './enums';
import { OfferChannel, OfferGoal, OfferStatus } from './offer-enums';
import { baseAcceptance } from '../services/offer-ranking';

@ObjectType('OfferStats', { description: 'Responses recorded with recordOfferResponse, over all customers.' })
export class OfferStats {
  @Field(() => Int) shown!: number;
  @Field(() => Int) accepted!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => Float, { description: 'Beta(1, 9)-smoothed acceptance rate: (accepted + 1) / (max(shown, accepted + rejected) + 10).' }) acceptanceRate!: number;
}

/**
 * An offer: what it is worth to the business, who may get it (segments, consent, channels, window)
 * and how often. Responses are interactions (OFFER_SHOWN / ACCEPTED / REJECTED, properties.offerId);
 * the counters here are the population history the next-best-offer ranking starts from.
 */
@ObjectType('Offer', { implements: Node })
@Entity({ tableName: 'offers' })
@Index({ name: 'offers_status_idx', properties: ['status'] })
@Check({ name: 'offers_variant_weight_check', expression: 'variant_weight >= 1 and variant_weight <= 1000' })
export class Offer {
  [OptionalProps]?: 'globalId' | 'createdAt' | 'updatedAt' | 'description' | 'campaign' | 'discountPercent' | 'discountMinor' | 'segmentIds'
    | 'consentPurpose' | 'endsAt' | 'maxAcceptancesPerCustomer' | 'status' | 'goal' | 'shownCount' | 'acceptedCount' | 'rejectedCount'
    | 'value' | 'discount' | 'stats' | 'variantWeight' | 'attributedRevenueMinor' | 'attributedConverters';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Offer', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  @Unique({ name: 'offers_code_key' })
  code!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @ManyToOne(() => Campaign, { fieldName: 'campaign_id', nullable: true, deleteRule: 'set null' })
  @Index({ name: 'offers_campaign_id_idx' })
  campaign?: Campaign | null;

  @Field(() => OfferGoal)
  @Enum({ items: () => OfferGoal, default: OfferGoal.GENERAL })
  goal: OfferGoal = OfferGoal.GENERAL;

  /** What one acceptance is worth to the business (margin, not price): the "value" of expected value. */
  @Property({ type: 'bigint' })
  valueMinor!: string;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Field(() => Int, { nullable: true, description: 'Percentage off, 1 to 100.' })
  @Property({ type: 'smallint', nullable: true })
  discountPercent?: number | null;

  @Property({ type: 'bigint', nullable: true })
  discountMinor?: string | null;

  /** Targeting: a member (open stay) of ANY of these segments; empty: everyone. A deleted segment has no members, so it narrows, never widens. */
  @Property({ columnType: 'uuid[]', type: 'text[]', default: '{}' })
  segmentIds: string[] = [];

  @Field(() => ConsentPurpose, { nullable: true, description: "Needed in addition to the channel's own consent purpose (e.g. PROFILING)." })
  @Enum({ items: () => ConsentPurpose, nullable: true })
  consentPurpose?: ConsentPurpose | null;

  @Field(() => [OfferChannel])
  @Property({ type: 'text[]' })
  channels!: OfferChannel[];

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive; null: open-ended.' })
  @Property({ type: 'timestamptz', nullable: true })
  endsAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Acceptances allowed per customer; null: unlimited.' })
  @Property({ type: 'integer', nullable: true, default: 1 })
  maxAcceptancesPerCustomer?: number | null = 1;

  @Field(() => OfferStatus)
  @Enum({ items: () => OfferStatus, default: OfferStatus.DRAFT })
  status: OfferStatus = OfferStatus.DRAFT;

  @Property({ type: 'integer', default: 0 })
  shownCount: number = 0;

  @Property({ type: 'integer', default: 0 })
  acceptedCount: number = 0;

  @Property({ type: 'integer', default: 0 })
  rejectedCount: number = 0;

  /**
   * Set: the offer is one A/B variant of its campaign, drawn with this weight among the campaign's
   * variants; each customer is given one variant, always the same (src/campaigns/holdout.ts).
   */
  @Field(() => Int, { nullable: true, description: 'A/B variant weight within its campaign (1 to 1000); null: not a variant, shown to every treated customer.' })
  @Property({ type: 'smallint', nullable: true })
  variantWeight?: number | null;

  /** Revenue of orders attributed to this offer, kept by the analytics run for the ranking. */
  @Property({ type: 'bigint', default: 0 })
  attributedRevenueMinor: string = '0';

  /** Distinct customers with an order attributed to this offer (the same run). */
  @Property({ type: 'integer', default: 0 })
  attributedConverters: number = 0;

  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Field(() => Money, { description: 'Worth of one acceptance to the business.' })
  get value(): Money {
    return new Money(Number(this.valueMinor), this.currency);
  }

  @Field(() => Money, { nullable: true, description: 'Fixed amount off, in the offer currency.' })
  get discount(): Money | null {
    return this.discountMinor == null ? null : new Money(Number(this.discountMinor), this.currency);
  }

  @Field(() => OfferStats)
  get stats(): OfferStats {
    const h = { shown: this.shownCount, accepted: this.acceptedCount, rejected: this.rejectedCount };
    return { ...h, acceptanceRate: baseAcceptance(h) };
  }
}
