import { Field, ID, Int, ObjectType } from 'type-graphql';
import { IngestEventStatus } from '../../ingestion/core';

@ObjectType('IngestEventError')
export class IngestEventErrorType {
  @Field(() => String, { description: 'As `extensions.code` of a GraphQL error: BAD_USER_INPUT, NOT_FOUND, CONFLICT, FORBIDDEN.' }) code!: string;
  @Field(() => String) message!: string;
  @Field(() => String, { nullable: true, description: 'Path of the offending input, e.g. "events[3].interaction.occurredAt".' }) field!: string | null;
  @Field(() => String, { nullable: true, description: 'Machine-readable detail, e.g. KEY_REUSED, MERGE_POLICY, BLOCKLISTED.' }) reason!: string | null;
}

@ObjectType('IngestEventResult')
export class IngestEventResultType {
  @Field(() => Int, { description: 'Position of the event in the request.' }) index!: number;
  @Field(() => String, { nullable: true }) idempotencyKey!: string | null;
  @Field(() => IngestEventStatus) status!: IngestEventStatus;
  @Field(() => ID, { nullable: true, description: 'The customer written to; only for callers who may look customers up by identifier (admin, support, partner with customers:contact).' })
  customerId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The interaction stored; for an event named by identifiers, only for the callers who see customerId (the row names its customer).' })
  interactionId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The order stored; for an event named by identifiers, only for the callers who see customerId.' })
  orderId!: string | null;
  @Field(() => IngestEventErrorType, { nullable: true }) error!: IngestEventErrorType | null;
}

@ObjectType('IngestEventsPayload')
export class IngestEventsPayload {
  @Field(() => [IngestEventResultType], { description: 'One per event, in request order.' }) results!: IngestEventResultType[];
  @Field(() => Int) acceptedCount!: number;
  @Field(() => Int) duplicateCount!: number;
  @Field(() => Int) rejectedCount!: number;
}
