import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The lifecycle stage last announced in the outbox, per customer. Analytics rewrites customer_metrics
 * wholesale (delete, then insert), so "did the stage change?" cannot be read from the old row: the
 * outbox trigger compares against this table instead and keeps it current.
 */
@Entity({ tableName: 'customer_lifecycle_states' })
export class CustomerLifecycleState {
  @PrimaryKey({ type: 'uuid' })
  customerId!: string;

  @Property({ type: 'text' })
  stage!: string;

  @Property({ type: 'timestamptz' })
  changedAt!: Date;
}
