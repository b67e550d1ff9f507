import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { LifecycleStage } from '../analytics/enums';
import { ConsentPurpose } from './enums';
import { Customer } from './customer.entity';

// Triggers (README "Triggers"): an event condition tied to an action. String values are what PostgreSQL stores.

export enum TriggerCondition {
  /** segment.entered for the trigger's segment. */
  SEGMENT_ENTERED = 'segment_entered',
  /** lifecycle.changed to one of the trigger's stages (AT_RISK, LAPSED). */
  LIFECYCLE_CHANGED = 'lifecycle_changed',
  /** feedback.recorded of kind complaint. */
  COMPLAINT_RECORDED = 'complaint_recorded',
  /** interaction.recorded of type cart_add, with no order by the customer within cartHours after it. */
  CART_ABANDONED = 'cart_abandoned',
}

export enum TriggerAction {
  /** A trigger.fired delivery to one webhook endpoint (signed, retried, as every webhook). */
  WEBHOOK = 'webhook',
  /** The offer becomes eligible for the customer (besides its target segments) for offerDays. */
  OFFER = 'offer',
  /** A support task for the customer, in supportTasks. */
  SUPPORT_TASK = 'support_task',
}

export enum TriggerFiringStatus {
  /** Matched; waits for its due time (event time + cart window + delay). */
  SCHEDULED = 'scheduled',
  FIRED = 'fired',
  SKIPPED = 'skipped',
}

/** Why a firing was skipped (TriggerFiring.reason). */
export enum TriggerSkipReason {
  TRIGGER_DISABLED = 'trigger_disabled',
  CUSTOMER_NOT_ACTIVE = 'customer_not_active',
  ORDER_PLACED = 'order_placed',
  CART_UPDATED = 'cart_updated',
  STALE = 'stale',
  PROFILING_OBJECTION = 'profiling_objection',
  NO_CONSENT = 'no_consent',
  CONTACT_FREQUENCY = 'contact_frequency',
  TRIGGER_CAP = 'trigger_cap',
  GLOBAL_CAP = 'global_cap',
  TARGET_UNAVAILABLE = 'target_unavailable',
}

export enum SupportTaskStatus {
  OPEN = 'open',
  DONE = 'done',
}

registerEnumType(TriggerCondition, { name: 'TriggerCondition' });
registerEnumType(TriggerAction, { name: 'TriggerAction' });
registerEnumType(TriggerFiringStatus, { name: 'TriggerFiringStatus' });
registerEnumType(TriggerSkipReason, { name: 'TriggerSkipReason' });
registerEnumType(SupportTaskStatus, { name: 'SupportTaskStatus' });

/**
 * A trigger. Targets (segment, endpoint, offer) are plain ids, not foreign keys: deleting one of them
 * does not delete the trigger; its firings are then skipped (TARGET_UNAVAILABLE).
 */
@ObjectType('Trigger')
@Entity({ tableName: 'triggers' })
export class Trigger {
  [OptionalProps]?: 'globalId' | 'segmentGlobalId' | 'webhookEndpointGlobalId' | 'offerGlobalId' | 'segmentId' | 'lifecycleStages' | 'cartHours' | 'webhookEndpointId' | 'offerId' | 'offerDays' | 'taskNote'
    | 'delaySeconds' | 'consentPurpose' | 'capCount' | 'capWindowHours' | 'enabled' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Trigger', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  @Field(() => TriggerCondition)
  @Property({ type: 'text' })
  condition!: TriggerCondition;

  @Property({ type: 'uuid', nullable: true })
  segmentId?: string | null;

  @Field(() => ID, { name: 'segmentId', nullable: true })
  get segmentGlobalId(): string | null {
    return this.segmentId ? toGlobalId('Segment', this.segmentId) : null;
  }

  @Field(() => [LifecycleStage])
  @Property({ type: 'text[]', default: '{}' })
  lifecycleStages: LifecycleStage[] = [];

  @Field(() => Int, { nullable: true })
  @Property({ type: 'int', nullable: true })
  cartHours?: number | null;

  @Field(() => TriggerAction)
  @Property({ type: 'text' })
  action!: TriggerAction;

  @Property({ type: 'uuid', nullable: true })
  webhookEndpointId?: string | null;

  @Field(() => ID, { name: 'webhookEndpointId', nullable: true })
  get webhookEndpointGlobalId(): string | null {
    return this.webhookEndpointId ? toGlobalId('WebhookEndpoint', this.webhookEndpointId) : null;
  }

  @Property({ type: 'uuid', nullable: true })
  offerId?: string | null;

  @Field(() => ID, { name: 'offerId', nullable: true })
  get offerGlobalId(): string | null {
    return this.offerId ? toGlobalId('Offer', this.offerId) : null;
  }

  @Field(() => Int, { nullable: true })
  @Property({ type: 'int', nullable: true })
  offerDays?: number | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  taskNote?: string | null;

  @Field(() => Int)
  @Property({ type: 'int', default: 0 })
  delaySeconds = 0;

  @Field(() => ConsentPurpose, { nullable: true })
  @Property({ type: 'text', nullable: true })
  consentPurpose?: ConsentPurpose | null;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'int', nullable: true })
  capCount?: number | null;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'int', nullable: true })
  capWindowHours?: number | null;

  @Field(() => Boolean)
  @Property({ type: 'boolean', default: true })
  enabled = true;

  @Field(() => String)
  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}

/**
 * One (trigger, outbox event) match and its outcome: at most one per pair (the unique key is what
 * makes a replayed or re-consumed event never fire twice). Kept when the trigger is deleted? No: the
 * log goes with its trigger (cascade); the actions it took (deliveries, grants, tasks) stay.
 */
@ObjectType('TriggerFiring')
@Entity({ tableName: 'trigger_firings' })
@Unique({ name: 'trigger_firings_trigger_event_key', properties: ['trigger', 'eventId'] })
@Index({ name: 'trigger_firings_customer_idx', properties: ['customer', 'createdAt', 'id'] })
@Index({ name: 'trigger_firings_trigger_idx', properties: ['trigger', 'createdAt', 'id'] })
// The caps count recent firings that fired, per customer.
// What is still to decide: the matcher's sweep for overdue firings.
@Index({ name: 'trigger_firings_scheduled_idx', expression: `create index "trigger_firings_scheduled_idx" on "trigger_firings" ("due_at") where "status" = 'scheduled'` })
@Index({ name: 'trigger_firings_fired_idx', expression: `create index "trigger_firings_fired_idx" on "trigger_firings" ("customer_id", "decided_at") where "status" = 'fired'` })
export class TriggerFiring {
  [OptionalProps]?: 'globalId' | 'customerGlobalId' | 'triggerGlobalId' | 'status' | 'reason' | 'decidedAt' | 'actionRef' | 'createdAt' | 'requeuedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('TriggerFiring', this.id);
  }

  /** The log goes with its trigger. */
  @ManyToOne(() => Trigger, { fieldName: 'trigger_id', deleteRule: 'cascade', updateRule: 'cascade' })
  trigger!: Trigger;

  @Field(() => ID, { name: 'triggerId' })
  get triggerGlobalId(): string {
    return toGlobalId('Trigger', this.trigger.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => ID, { name: 'customerId', description: 'Global id of the customer (Customer).' })
  get customerGlobalId(): string {
    return toGlobalId('Customer', this.customer.id);
  }

  @Field(() => String, { description: 'The outbox event that matched.' })
  @Property({ type: 'bigint' })
  eventId!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  eventType!: string;

  @Field(() => TriggerFiringStatus)
  @Property({ type: 'text', default: TriggerFiringStatus.SCHEDULED })
  status: TriggerFiringStatus = TriggerFiringStatus.SCHEDULED;

  @Field(() => TriggerSkipReason, { nullable: true })
  @Property({ type: 'text', nullable: true })
  reason?: TriggerSkipReason | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  dueAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  decidedAt?: Date | null;

  /** When the matcher last put a job on the queue again for this firing, overdue and still scheduled (its jobs lost or out of retries). */
  @Property({ type: 'timestamptz', nullable: true })
  requeuedAt?: Date | null;

  /** What the action made: the webhook delivery, offer grant or support task id. */
  @Property({ type: 'uuid', nullable: true })
  actionRef?: string | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

/** A follow-up for support, recorded by a SUPPORT_TASK trigger (closing the loop on a complaint). */
@ObjectType('SupportTask')
@Entity({ tableName: 'support_tasks' })
@Index({ name: 'support_tasks_status_idx', properties: ['status', 'createdAt', 'id'] })
@Index({ name: 'support_tasks_customer_idx', properties: ['customer'] })
export class SupportTask {
  [OptionalProps]?: 'globalId' | 'customerGlobalId' | 'status' | 'note' | 'createdAt' | 'triggerId' | 'firingId';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('SupportTask', this.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => ID, { name: 'customerId', description: 'Global id of the customer (Customer).' })
  get customerGlobalId(): string {
    return toGlobalId('Customer', this.customer.id);
  }

  @Field(() => String, { description: 'The trigger name at the time.' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Field(() => String)
  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'uuid', nullable: true })
  triggerId?: string | null;

  @Property({ type: 'uuid', nullable: true, unique: 'support_tasks_firing_key' })
  firingId?: string | null;

  @Field(() => SupportTaskStatus)
  @Property({ type: 'text', default: SupportTaskStatus.OPEN })
  status: SupportTaskStatus = SupportTaskStatus.OPEN;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

/** An offer made eligible for one customer until `expiresAt` by an OFFER trigger (nextBestOffers honours it in place of segment targeting). */
@Entity({ tableName: 'offer_grants' })
@Index({ name: 'offer_grants_customer_idx', properties: ['customerId', 'offerId', 'expiresAt'] })
export class OfferGrant {
  [OptionalProps]?: 'grantedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'uuid' })
  customerId!: string;

  @Property({ type: 'uuid' })
  offerId!: string;

  @Property({ type: 'uuid', unique: 'offer_grants_firing_key' })
  firingId!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  grantedAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
