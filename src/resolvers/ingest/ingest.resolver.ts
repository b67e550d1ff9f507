import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { QUERY_POLICY, holdsGrant } from '../../auth/policy';
import { rightsOf } from '../../ingestion/rules';
import { auditWrites } from '../../auth/audit';
import { toGlobalId } from '../../schema/global-id';
import { IngestEventStatus, ingestEvents } from '../../ingestion/core';
import { INGEST_EVENTS_DESCRIPTION, IngestEventInput } from './ingest.inputs';
import { IngestEventsPayload } from './ingest.types';

@Resolver()
export class IngestResolver {
  @Mutation(() => IngestEventsPayload, { description: INGEST_EVENTS_DESCRIPTION })
  async ingestEvents(@Arg('events', () => [IngestEventInput]) events: IngestEventInput[], @Ctx() ctx: Context): Promise<IngestEventsPayload> {
    const viewer = ctx.viewer!;
    const outcome = await ingestEvents(ctx.em, events, {
      policy: ctx.config.mergePolicy,
      rights: rightsOf(viewer),
      audit: (em: EntityManager, customerIds: string[]) => auditWrites(em, viewer, ctx.requestId, 'ingestEvents', customerIds),
    });
    // Which customer an identifier belongs to is what customerByIdentifier answers: same grant.
    const showCustomer = holdsGrant(QUERY_POLICY.customerByIdentifier, viewer);
    for (const c of outcome.created) ctx.events.publish({ customerId: c.customerId, kind: c.kind, id: c.id });
    const count = (s: IngestEventStatus) => outcome.results.filter((r) => r.status === s).length;
    return {
      results: outcome.results.map((r) => ({
        index: r.index,
        idempotencyKey: r.idempotencyKey,
        status: r.status,
        customerId: showCustomer && r.customerId ? toGlobalId('Customer', r.customerId) : null,
        interactionId: r.interactionId ? toGlobalId('Interaction', r.interactionId) : null,
        orderId: r.orderId ? toGlobalId('Order', r.orderId) : null,
        error: r.error,
      })),
      acceptedCount: count(IngestEventStatus.ACCEPTED),
      duplicateCount: count(IngestEventStatus.DUPLICATE),
      rejectedCount: count(IngestEventStatus.REJECTED),
    };
  }
}
