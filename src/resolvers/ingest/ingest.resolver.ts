import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { ACTION_POLICY, holdsGrant } from '../../auth/policy';
import { accessibleCustomers } from '../../auth/access';
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
      keyring: ctx.config.pseudonymKeys,
      rights: rightsOf(viewer),
      path: ctx.ingestPath ?? 'ingestEvents',
      // As recordInteraction: a customer named by id that the caller may not see is not found.
      mayWriteTo: (ids: string[]) => accessibleCustomers(ctx, ids),
      audit: (em: EntityManager, customerIds: string[]) => auditWrites(em, viewer, ctx.requestId, 'ingestEvents', customerIds),
    });
    // Which customer an identifier belongs to is what customerByIdentifier answers: same grant. The
    // rows an event named by identifiers produced would tell it too (node(id) { customer { id } }).
    const showCustomer = holdsGrant(ACTION_POLICY.lookUpByIdentifier, viewer);
    const byIdentifiers = (index: number) => !events[index]?.customerId;
    for (const c of outcome.created) ctx.events.publish({ customerId: c.customerId, kind: c.kind, id: c.id });
    const count = (s: IngestEventStatus) => outcome.results.filter((r) => r.status === s).length;
    return {
      results: outcome.results.map((r) => ({
        index: r.index,
        idempotencyKey: r.idempotencyKey,
        status: r.status,
        customerId: showCustomer && r.customerId ? toGlobalId('Customer', r.customerId) : null,
        interactionId: r.interactionId && (showCustomer || !byIdentifiers(r.index)) ? toGlobalId('Interaction', r.interactionId) : null,
        orderId: r.orderId && (showCustomer || !byIdentifiers(r.index)) ? toGlobalId('Order', r.orderId) : null,
        error: r.error,
      })),
      acceptedCount: count(IngestEventStatus.ACCEPTED),
      duplicateCount: count(IngestEventStatus.DUPLICATE),
      rejectedCount: count(IngestEventStatus.REJECTED),
    };
  }
}
