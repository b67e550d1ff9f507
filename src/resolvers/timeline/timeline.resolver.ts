import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root, createUnionType, registerEnumType } from 'type-graphql';
import { ConsentRecord, Customer, Feedback, Interaction, Order, TriggerFiring } from '../../entities';
import { TYPE_POLICY, holdsGrant } from '../../auth/policy';
import type { Context } from '../../context';
import { PageInfo, toConnection } from '../../schema/connection';
import { DateTimeScalar } from '../../schema/scalars';
import { checkFirst, decodeCursor } from '../../services/pagination';
import { TimelineKind, type TimelineItem } from '../../loaders/timeline.loader';

registerEnumType(TimelineKind, { name: 'TimelineKind' });

export const TimelineEvent = createUnionType({
  name: 'TimelineEvent',
  description: 'Anything that happened with a customer: an order, an interaction, feedback, a consent decision, or a trigger firing.',
  types: () => [Order, Interaction, Feedback, ConsentRecord, TriggerFiring] as const,
  resolveType: (value) => {
    if (value instanceof Order) return Order;
    if (value instanceof Interaction) return Interaction;
    if (value instanceof Feedback) return Feedback;
    if (value instanceof ConsentRecord) return ConsentRecord;
    if (value instanceof TriggerFiring) return TriggerFiring;
    return undefined;
  },
});

@ObjectType('TimelineEdge')
export class TimelineEdge {
  @Field(() => String) cursor!: string;
  @Field(() => TimelineEvent) node!: TimelineItem;
}

@ObjectType('TimelineConnection')
export class TimelineConnection {
  @Field(() => [TimelineEdge]) edges!: TimelineEdge[];
  @Field(() => [TimelineEvent]) nodes!: TimelineItem[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

const ALL_KINDS = Object.values(TimelineKind);

@Resolver(() => Customer)
export class TimelineResolver {
  @FieldResolver(() => TimelineConnection, { description: 'Every order, interaction, feedback, consent change and trigger firing, newest first, in one cursor-paginated list.' })
  async timeline(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('kinds', () => [TimelineKind], { nullable: true, description: 'Default: all kinds.' }) kinds: TimelineKind[] | null,
    @Arg('since', () => DateTimeScalar, { nullable: true, description: 'Only events at or after this time (no limit by default).' }) since: Date | null,
    @Ctx() ctx: Context,
  ) {
    // Trigger firings only for roles that may read them (the same rule as TriggerFiring's fields): for
    // the others the timeline holds every other kind, as if firings were not asked for.
    const firingsVisible = holdsGrant(TYPE_POLICY.TriggerFiring.id, ctx.viewer!);
    const asked = kinds?.length ? [...new Set(kinds)] : ALL_KINDS;
    const page = await ctx.loaders.timeline.load({
      customerId: customer.id, first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after),
      kinds: firingsVisible ? asked : asked.filter((k) => k !== TimelineKind.TRIGGER), since,
    });
    return toConnection(page);
  }
}
