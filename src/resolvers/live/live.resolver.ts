import { GraphQLError } from 'graphql';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { createLoaders, type Loaders } from '../../loaders';
import { AuditRecorder } from '../../auth/audit';
import { canAccessCustomer, consentKey } from '../../auth/access';
import { PROFILING_OBJECTION, TYPE_POLICY, holdsGrant } from '../../auth/policy';
import { expectGlobalId } from '../../schema/global-id';
import type { ActivityEvent, ActivityKind } from '../../live/activity-events';
import type { LifecycleStage } from '../../analytics/enums';
import { CustomerActivityEvent, LifecycleStageChange, SegmentMembershipChange, SegmentMembershipChangeKind, type ActivityItem } from './live.types';

type TimelineItem = ActivityItem;

const LOADER: Record<Exclude<ActivityKind, 'OutboxEvent'>, keyof Loaders> = {
  Order: 'orderById',
  Interaction: 'interactionById',
  Feedback: 'feedbackById',
  ConsentRecord: 'consentRecordById',
};

/**
 * A segment or lifecycle event of the outbox as the graph shows it, or null when this viewer is not to
 * get it: the same rules as reading it otherwise (segment changes as segments, lifecycle changes as
 * Customer.lifecycleHistory, withheld on a PROFILING objection). An event nobody may read is not sent
 * at all rather than sent as errors.
 */
async function outboxItem(ctx: Context, id: string): Promise<TimelineItem | null> {
  const [row]: Array<{ type: string; customer_id: string; subject_id: string | null; data: Record<string, unknown>; occurred_at: Date }> = await ctx.em.execute(
    'select type, customer_id, subject_id, data, occurred_at from outbox_events where id = ?', [id],
  );
  if (!row || !ctx.viewer) return null;
  const readable = (type: string) => holdsGrant(TYPE_POLICY[type].eventId, ctx.viewer!);
  if ((row.type === 'segment.entered' || row.type === 'segment.exited') && row.subject_id && readable('SegmentMembershipChange')) {
    return Object.assign(new SegmentMembershipChange(), {
      eventId: id, customer: { id: row.customer_id }, segmentId: row.subject_id, at: new Date(row.occurred_at),
      change: row.type === 'segment.entered' ? SegmentMembershipChangeKind.ENTERED : SegmentMembershipChangeKind.EXITED,
    });
  }
  if (row.type === 'lifecycle.changed' && readable('LifecycleStageChange')) {
    const consent = await ctx.loaders.consentStatus.load(consentKey(row.customer_id, PROFILING_OBJECTION));
    if (PROFILING_OBJECTION.withheldWhen.includes(consent)) return null;
    return Object.assign(new LifecycleStageChange(), {
      eventId: id, customer: { id: row.customer_id }, at: new Date(row.occurred_at),
      from: (row.data.from as LifecycleStage | null) ?? null, to: row.data.to as LifecycleStage,
    });
  }
  return null;
}

/**
 * Maps the customer's event stream to the written entities, loaded here by id. Each event gets a
 * fresh EntityManager fork, loaders and audit recorder on the subscription's context (events are
 * executed one after the other), so nothing is cached from one event to the next.
 */
function entityStream(ctx: Context, source: AsyncIterableIterator<ActivityEvent>): AsyncIterableIterator<TimelineItem> {
  const root = ctx.em;
  const nextEntity = async (): Promise<IteratorResult<TimelineItem>> => {
    for (;;) {
      const r = await source.next();
      if (r.done) return { value: undefined, done: true };
      const em = root.fork() as EntityManager;
      ctx.em = em;
      ctx.loaders = createLoaders(em, ctx.config.pseudonymKeys);
      ctx.audit = new AuditRecorder();
      const kind = r.value.kind;
      const entity = kind === 'OutboxEvent'
        ? await outboxItem(ctx, r.value.id)
        : ((await (ctx.loaders[LOADER[kind]] as { load(id: string): Promise<unknown> }).load(r.value.id)) as TimelineItem | null);
      // Gone already (erased, rolled back elsewhere, pruned), or not for this viewer: skip it.
      if (entity) return { value: entity, done: false };
    }
  };
  const it: AsyncIterableIterator<TimelineItem> = {
    next: nextEntity,
    // Unsubscribing ends the source at once, even while next() is waiting for an event.
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

interface SubscribeData {
  args: Record<string, unknown>;
  context: Context;
}

async function subscribeCustomerActivity({ args, context }: SubscribeData): Promise<AsyncIterable<TimelineItem>> {
  const customerId = expectGlobalId(args.customerId as string, 'Customer', 'customerId');
  // The permission rule already checked role and (customer role) ownership; this is the object-level
  // check every customer-owned read gets. A customer that does not exist simply never has events.
  if (!(await canAccessCustomer(context, customerId))) {
    throw new GraphQLError("no access to this customer's activity", { extensions: { code: 'FORBIDDEN', reason: 'OBJECT' } });
  }
  return entityStream(context, context.events.subscribe(customerId));
}

@Resolver()
export class LiveResolver {
  @Subscription(() => CustomerActivityEvent, {
    description: 'Every order, interaction, feedback or consent record written for this customer from now on, and their segment entries and exits and lifecycle stage changes (each to viewers who may read it), over graphql-ws at /graphql.',
    subscribe: (data) => subscribeCustomerActivity(data as unknown as SubscribeData),
  })
  customerActivity(@Arg('customerId', () => ID) _customerId: string, @Root() item: TimelineItem): TimelineItem {
    return item;
  }
}
