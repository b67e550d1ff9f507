import { Entity, Enum, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { CampaignStatus, OfferChannel } from './offer-enums';

/**
 * A marketing campaign. Its `code` is the one interactions carry in `campaign`, so campaign metrics
 * (insights.service.ts) and offer responses line up without a join key of their own.
 */
@ObjectType('Campaign', { implements: Node })
@Entity({ tableName: 'campaigns' })
export class Campaign {
  [OptionalProps]?: 'globalId' | 'createdAt' | 'updatedAt' | 'description' | 'endsAt' | 'status';

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

  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
