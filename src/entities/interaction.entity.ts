import { Entity, Enum, Index, ManyToOne, PrimaryKey, PrimaryKeyProp, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar, JSONObjectScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { Product } from './product.entity';
import { InteractionChannel, InteractionType } from './enums';

/**
 * A touchpoint: the high-volume table, read per customer newest first. Partitioned by month of
 * occurred_at (Migration20261205230000, src/db/interaction-partitions.ts), so its primary key includes
 * occurred_at; ids stay globally unique (random uuids) and node(id) finds a row by id in every
 * partition's primary-key index. The sender's key (source, sourceEventId) is unique across partitions
 * through interaction_event_keys, claimed by a trigger.
 */
@ObjectType('Interaction', { implements: Node })
@Entity({ tableName: 'interactions' })
@Index({ name: 'interactions_customer_occurred_at_idx', properties: ['customer', 'occurredAt', 'id'] })
// No index on (source, sourceEventId): interaction_event_keys' primary key is that index (Migration20261206051500).
// Offer responses per customer and offer (next-best-offer ranking); partial, so it indexes only offer rows.
@Index({
  name: 'interactions_offer_response_idx',
  expression: `create index "interactions_offer_response_idx" on "interactions" ("customer_id", (properties ->> 'offerId')) where "type" in ('offer_shown', 'offer_accepted', 'offer_rejected')`,
})
// A campaign's exposures and holdouts, read by campaign code and type (campaign results).
@Index({
  name: 'interactions_campaign_type_idx',
  expression: `create index "interactions_campaign_type_idx" on "interactions" ("campaign", "type", "customer_id") where "campaign" is not null`,
})
export class Interaction {
  [OptionalProps]?: 'globalId' | 'createdAt' | 'properties' | 'source';
  [PrimaryKeyProp]?: ['id', 'occurredAt'];

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Interaction', this.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => DateTimeScalar)
  @PrimaryKey({ type: 'timestamptz' })
  occurredAt!: Date;

  @Field(() => InteractionChannel)
  @Enum({ items: () => InteractionChannel })
  channel!: InteractionChannel;

  @Field(() => InteractionType)
  @Enum({ items: () => InteractionType })
  type!: InteractionType;

  @ManyToOne(() => Product, { fieldName: 'product_id', nullable: true })
  @Index({ name: 'interactions_product_id_idx' })
  product?: Product | null;

  @Field(() => String, { nullable: true, description: 'Campaign code the interaction belongs to, if any.' })
  @Property({ type: 'text', nullable: true })
  campaign?: string | null;

  @Field(() => JSONObjectScalar)
  @Property({ type: 'json', defaultRaw: "'{}'::jsonb" })
  properties: Record<string, unknown> = {};

  @Field(() => String)
  @Property({ type: 'text', default: 'api' })
  source: string = 'api';

  /** The sender's id for this event, unique per source: recording the same event twice stores it once. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  sourceEventId?: string | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
