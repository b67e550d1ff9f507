import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from './customer.entity';

/**
 * What interaction retention (INTERACTION_RETENTION_MONTHS) keeps of the months it drops: per customer,
 * month and the dimensions the models read (type, channel, product, campaign, offer), the count and the
 * first and last time. No payloads. Moves with the customer on merge (its customer_id foreign key).
 */
@Entity({ tableName: 'interaction_rollups' })
@Index({ name: 'interaction_rollups_customer_idx', properties: ['customer', 'type'] })
@Index({
  name: 'interaction_rollups_campaign_idx',
  expression: `create index "interaction_rollups_campaign_idx" on "interaction_rollups" ("campaign", "type") where "campaign" is not null`,
})
export class InteractionRollup {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  /** First day of the (UTC) month. */
  @Property({ type: 'date' })
  month!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text' })
  channel!: string;

  @Property({ type: 'uuid', nullable: true })
  productId?: string | null;

  @Property({ type: 'text', nullable: true })
  campaign?: string | null;

  @Property({ type: 'text', nullable: true })
  offerId?: string | null;

  @Property({ type: 'int' })
  n!: number;

  @Property({ type: 'timestamptz' })
  firstAt!: Date;

  @Property({ type: 'timestamptz' })
  lastAt!: Date;
}

/**
 * The sender's event key of an interaction, unique across the monthly partitions (a partitioned table's
 * unique constraints must include the partition key). Written only by triggers on interactions.
 */
// Read by its primary key only (the claim trigger, lookups by sender's key, retention's join): no other index.
@Entity({ tableName: 'interaction_event_keys' })
export class InteractionEventKey {
  @PrimaryKey({ type: 'text' })
  source!: string;

  @PrimaryKey({ type: 'text' })
  sourceEventId!: string;

  @Property({ type: 'uuid' })
  interactionId!: string;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}
