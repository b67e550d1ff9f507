import { Field, ID, InputType } from 'type-graphql';
import { InteractionChannel, InteractionType } from '../../entities/enums';
import { DateTimeScalar, JSONObjectScalar } from '../../schema/scalars';

@InputType('InteractionFilter')
export class InteractionFilter {
  @Field(() => [InteractionChannel], { nullable: true }) channels?: InteractionChannel[] | null;
  @Field(() => [InteractionType], { nullable: true }) types?: InteractionType[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound of occurredAt.' }) since?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound of occurredAt.' }) until?: Date | null;
  @Field(() => String, { nullable: true }) campaign?: string | null;
}

@InputType('RecordInteractionInput')
export class RecordInteractionInput {
  @Field(() => ID) customerId!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' }) occurredAt?: Date | null;
  @Field(() => InteractionChannel) channel!: InteractionChannel;
  @Field(() => InteractionType) type!: InteractionType;
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => String, { nullable: true }) campaign?: string | null;
  @Field(() => JSONObjectScalar, { nullable: true, description: 'Event attributes; at most 16 KiB of JSON.' }) properties?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => String, { nullable: true, description: "The sender's unique id for this event; makes the call idempotent." }) sourceEventId?: string | null;
}
