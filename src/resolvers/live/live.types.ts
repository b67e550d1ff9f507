import { Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root, createUnionType, registerEnumType } from 'type-graphql';
import { ConsentRecord, Customer, Feedback, Interaction, Order, Segment } from '../../entities';
import { LifecycleStage } from '../../analytics/enums';
import { DateTimeScalar } from '../../schema/scalars';
import type { Context } from '../../context';

export enum SegmentMembershipChangeKind {
  ENTERED = 'entered',
  EXITED = 'exited',
}
registerEnumType(SegmentMembershipChangeKind, {
  name: 'SegmentMembershipChangeKind',
  description: 'Whether the customer entered or left the segment.',
  valuesConfig: { ENTERED: { description: 'Became a member.' }, EXITED: { description: 'Stopped being a member.' } },
});

/** Fields common to the events relayed from the outbox. */
interface OutboxEventFields {
  eventId: string;
  customer: { id: string };
  at: Date;
}

@ObjectType('SegmentMembershipChange', { description: 'The customer entered or left a segment (outbox events segment.entered and segment.exited), live on customerActivity. Sent to viewers who may read segments (of the subscribers: admin).' })
export class SegmentMembershipChange implements OutboxEventFields {
  @Field(() => ID, { description: 'The outbox event id: the `eventId` a webhook of the same event carries.' }) eventId!: string;
  customer!: { id: string };
  segmentId!: string;
  @Field(() => SegmentMembershipChangeKind, { description: 'Entered or left.' }) change!: SegmentMembershipChangeKind;
  @Field(() => DateTimeScalar, { description: 'When the membership changed (UTC).' }) at!: Date;
}

@ObjectType('LifecycleStageChange', { description: 'The customer\'s lifecycle stage changed (outbox event lifecycle.changed), live on customerActivity. Sent to viewers who may read Customer.lifecycleHistory (of the subscribers: admin and support), and never for a customer who objected to PROFILING.' })
export class LifecycleStageChange implements OutboxEventFields {
  @Field(() => ID, { description: 'The outbox event id: the `eventId` a webhook of the same event carries.' }) eventId!: string;
  customer!: { id: string };
  @Field(() => LifecycleStage, { nullable: true, description: 'The stage before; null for the customer\'s first stage.' }) from!: LifecycleStage | null;
  @Field(() => LifecycleStage, { description: 'The stage now.' }) to!: LifecycleStage;
  @Field(() => DateTimeScalar, { description: 'When the change was recorded (UTC).' }) at!: Date;
}

export type ActivityItem = Order | Interaction | Feedback | ConsentRecord | SegmentMembershipChange | LifecycleStageChange;

export const CustomerActivityEvent = createUnionType({
  name: 'CustomerActivityEvent',
  description: 'What customerActivity sends: a record written for the customer (order, interaction, feedback, consent decision), a segment entry or exit, or a lifecycle stage change.',
  types: () => [Order, Interaction, Feedback, ConsentRecord, SegmentMembershipChange, LifecycleStageChange] as const,
  resolveType: (value) => {
    if (value instanceof Order) return Order;
    if (value instanceof Interaction) return Interaction;
    if (value instanceof Feedback) return Feedback;
    if (value instanceof ConsentRecord) return ConsentRecord;
    if (value instanceof SegmentMembershipChange) return SegmentMembershipChange;
    if (value instanceof LifecycleStageChange) return LifecycleStageChange;
    return undefined;
  },
});

@Resolver(() => SegmentMembershipChange)
export class SegmentMembershipChangeResolver {
  @FieldResolver(() => Customer, { description: 'The customer.' })
  async customer(@Root() e: SegmentMembershipChange, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(e.customer.id))!;
  }

  @FieldResolver(() => Segment, { nullable: true, description: 'The segment; null once it has been deleted.' })
  async segment(@Root() e: SegmentMembershipChange, @Ctx() ctx: Context): Promise<Segment | null> {
    return (await ctx.loaders.offerSegmentById.load(e.segmentId)) ?? null;
  }
}

@Resolver(() => LifecycleStageChange)
export class LifecycleStageChangeResolver {
  @FieldResolver(() => Customer, { description: 'The customer.' })
  async customer(@Root() e: LifecycleStageChange, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(e.customer.id))!;
  }
}
