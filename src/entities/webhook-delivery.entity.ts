import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export enum WebhookDeliveryStatus {
  /** Queued or waiting for its next attempt. */
  PENDING = 'pending',
  SUCCEEDED = 'succeeded',
  /** Every attempt of the retry schedule failed (dead letter); replayWebhookDelivery resends it. */
  DEAD = 'dead',
  /** Not sent: the customer's consent or the key's scopes no longer allow it, or the key was revoked. */
  SKIPPED = 'skipped',
}
registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });

/** One outbox event for one endpoint: the delivery log. `webhook-id` is `msg_<eventId>`, the same on every attempt. */
@ObjectType('WebhookDelivery')
@Entity({ tableName: 'webhook_deliveries' })
@Unique({ name: 'webhook_deliveries_endpoint_event_key', properties: ['endpoint', 'eventId'] })
@Index({ name: 'webhook_deliveries_endpoint_status_idx', properties: ['endpoint', 'status', 'createdAt'] })
// What the dispatcher has still to put on the queue (new, replayed, or held while the endpoint was disabled).
@Index({ name: 'webhook_deliveries_unqueued_idx', expression: `create index "webhook_deliveries_unqueued_idx" on "webhook_deliveries" ("endpoint_id") where "status" = 'pending' and "queued_at" is null` })
export class WebhookDelivery {
  [OptionalProps]?: 'globalId' | 'status' | 'attempts' | 'lastAttemptAt' | 'responseStatus' | 'lastError' | 'createdAt' | 'deliveredAt' | 'queuedAt' | 'jobId';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('WebhookDelivery', this.id);
  }

  @ManyToOne(() => WebhookEndpoint, { fieldName: 'endpoint_id', deleteRule: 'cascade' })
  endpoint!: WebhookEndpoint;

  @Field(() => String, { description: 'The outbox event id (also the webhook-id, as msg_<eventId>).' })
  @Property({ type: 'bigint' })
  eventId!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  eventType!: string;

  @Field(() => WebhookDeliveryStatus)
  @Property({ type: 'text', default: WebhookDeliveryStatus.PENDING })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  @Field(() => Int)
  @Property({ type: 'int', default: 0 })
  attempts = 0;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt; null when none came back (timeout, refused).' })
  @Property({ type: 'int', nullable: true })
  responseStatus?: number | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;

  /** When a queue job was created for the current round; null: the dispatcher is to queue it. */
  @Property({ type: 'timestamptz', nullable: true })
  queuedAt?: Date | null;

  /**
   * The pg-boss job of the current round. A pending, queued delivery whose job is no longer in the
   * queue (pg-boss drops jobs nobody worked within their retention) is queued again by the dispatcher.
   */
  @Property({ type: 'uuid', nullable: true })
  jobId?: string | null;
}
