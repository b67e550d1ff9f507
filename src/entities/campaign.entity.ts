import { Check, Entity, Enum, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Money } from '../schema/money';
import { CampaignStatus, OfferChannel } from './offer-enums';

/**
 * A marketing campaign. Its `code` is the one interactions carry in `campaign`, so campaign metrics
 * (insights.service.ts) and offer responses line up without a join key of their own.
 */
@ObjectType('Campaign', { implements: Node })
@Entity({ tableName: 'campaigns' })
@Check({ name: 'campaigns_control_percent_check', expression: 'control_percent >= 0 and control_percent <= 50' })
@Check({ name: 'campaigns_attribution_window_days_check', expression: 'attribution_window_days >= 1 and attribution_window_days <= 90' })
@Check({ name: 'campaigns_cost_minor_check', expression: 'cost_minor >= 0' })
export class Campaign {
  [OptionalProps]?: 'globalId' | 'createdAt' | 'updatedAt' | 'description' | 'endsAt' | 'status'
    | 'controlPercent' | 'attributionWindowDays' | 'costMinor' | 'currency' | 'cost';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Campaign', this.id);
  }

  @Field(() => String, { description: 'Unique; the value of Interaction.campaign.' })
  @Property({ type: 'text' })
  @Unique({ name: 'campaigns_code_key' })
  code!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => [OfferChannel])
  @Property({ type: 'text[]' })
  channels!: OfferChannel[];

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive; null: open-ended.' })
  @Property({ type: 'timestamptz', nullable: true })
  endsAt?: Date | null;

  @Field(() => CampaignStatus)
  @Enum({ items: () => CampaignStatus, default: CampaignStatus.DRAFT })
  status: CampaignStatus = CampaignStatus.DRAFT;

  /**
   * Share of eligible customers held out as the control group, 0 to 50 (percent). Who is held out is
   * decided by a hash of (campaign, customer) (src/campaigns/holdout.ts), never stored as a list.
   */
  @Field(() => Int, { description: 'Percent of eligible customers held out as a control group (0 to 50); README "Campaign insights".' })
  @Property({ type: 'smallint', default: 0 })
  controlPercent: number = 0;

  @Field(() => Int, { description: 'Days after an exposure (or, for the control group, after assignment) in which an order counts for the campaign.' })
  @Property({ type: 'smallint', default: 7 })
  attributionWindowDays: number = 7;

  /** What the campaign cost to run (creative, sends, fees), for ROI; discounts are counted apart. */
  @Property({ type: 'bigint', nullable: true })
  costMinor?: string | null;

  /** The currency of the cost and of every revenue figure; null: the currency of the campaign's offers. */
  @Property({ type: 'character', length: 3, nullable: true })
  currency?: string | null;

  @Field(() => Money, { nullable: true, description: 'Cost of running the campaign (discounts apart), for ROI.' })
  get cost(): Money | null {
    return this.costMinor == null || this.currency == null ? null : new Money(Number(this.costMinor), this.currency);
  }

  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
