import { GraphQLError } from 'graphql';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { createLoaders, type Loaders } from '../../loaders';
import { AuditRecorder } from '../../auth/audit';
import { canAccessCustomer } from '../../auth/access';
import { expectGlobalId } from '../../schema/global-id';
import { TimelineEvent } from '../timeline/timeline.resolver';
import type { TimelineItem } from '../../loaders/timeline.loader';
import type { ActivityEvent, ActivityKind } from '../../live/activity-events';

const LOADER: Record<ActivityKind, keyof Loaders> = {
  Order: 'orderById',
  Interaction: 'interactionById',
  Feedback: 'feedbackById',
  ConsentRecord: 'consentRecordById',
};

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
      ctx.loaders = createLoaders(em);
      ctx.audit = new AuditRecorder();
      const entity = (await (ctx.loaders[LOADER[r.value.kind]] as { load(id: string): Promise<unknown> }).load(r.value.id)) as TimelineItem | null;
      // Gone already (erased, rolled back elsewhere): skip it.
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
  @Subscription(() => TimelineEvent, {
    description: 'Every order, interaction, feedback or consent record written for this customer from now on (over graphql-ws at /graphql).',
    subscribe: (data) => subscribeCustomerActivity(data as unknown as SubscribeData),
  })
  customerActivity(@Arg('customerId', () => ID) _customerId: string, @Root() item: TimelineItem): TimelineItem {
    return item;
  }
}
