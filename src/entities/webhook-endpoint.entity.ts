import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';

export enum WebhookEndpointStatus {
  ACTIVE = 'active',
  /** Persistent failure (or an admin): nothing is sent until an admin re-enables it. */
  DISABLED = 'disabled',
}
registerEnumType(WebhookEndpointStatus, { name: 'WebhookEndpointStatus' });

/**
 * A receiver of outbox events (README "Webhooks"). Registered by an admin, or by a partner for its
 * own API key (`apiKeyId`): a partner's endpoint receives only what that key's scopes and each
 * customer's consent allow, re-checked at every attempt. The signing secret is kept to sign with and
 * shown once, at creation.
 */
@ObjectType('WebhookEndpoint')
@Entity({ tableName: 'webhook_endpoints' })
@Index({ name: 'webhook_endpoints_api_key_idx', properties: ['apiKeyId'] })
export class WebhookEndpoint {
  [OptionalProps]?: 'globalId' | 'description' | 'apiKeyId' | 'status' | 'disabledReason' | 'consecutiveFailures' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('WebhookEndpoint', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  url!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => [String], { description: 'Event types delivered (customer.created, order.recorded…; see README "Webhooks").' })
  @Property({ type: 'text[]' })
  events!: string[];

  /** `whsec_…` (Standard Webhooks): never exposed after creation. */
  @Property({ type: 'text', hidden: true, lazy: true })
  secret!: string;

  /** The partner key that owns this endpoint; null for an admin's. */
  @Property({ type: 'uuid', nullable: true })
  apiKeyId?: string | null;

  @Field(() => String)
  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => WebhookEndpointStatus)
  @Property({ type: 'text', default: WebhookEndpointStatus.ACTIVE })
  status: WebhookEndpointStatus = WebhookEndpointStatus.ACTIVE;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  disabledReason?: string | null;

  @Field(() => Int, { description: 'Deliveries that went dead-letter in a row; reset by a success.' })
  @Property({ type: 'int', default: 0 })
  consecutiveFailures = 0;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
