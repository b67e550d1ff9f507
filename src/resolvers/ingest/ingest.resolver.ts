import { Arg, Ctx, Mutation, Resolver, type BuildSchemaOptions } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { ACTION_POLICY, holdsGrant } from '../../auth/policy';
import { accessibleCustomers } from '../../auth/access';
import { rightsOf } from '../../ingestion/rules';
import { auditWrites } from '../../auth/audit';
import { toGlobalId } from '../../schema/global-id';
import { IngestEventStatus, ingestEvents, type IngestEventData } from '../../ingestion/core';
import { INGEST_EVENTS_DESCRIPTION, IngestEventInput } from './ingest.inputs';
import { IngestEventsPayload } from './ingest.types';

@Resolver()
export class IngestResolver {
  @Mutation(() => IngestEventsPayload, { description: INGEST_EVENTS_DESCRIPTION })
  ingestEvents(@Arg('events', () => [IngestEventInput]) events: IngestEventInput[], @Ctx() ctx: Context): Promise<IngestEventsPayload> {
    return resolveIngestEvents(events, ctx);
  }
}

/**
 * The served schema resolves ingestEvents here with graphql-js's coerced arguments as they are
 * (installIngestEventsResolver): type-graphql would first copy every event and each of its nested
 * inputs into an instance of its @InputType class - walking its metadata once per object - which
 * nothing reads (the core takes plain data; the schema validates without class-validator), 6% of
 * the server's CPU profile under `npm run bench:ingest` (README "Throughput").
 */
export async function resolveIngestEvents(events: IngestEventData[], ctx: Context): Promise<IngestEventsPayload> {
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

/**
 * Mutation.ingestEvents of a schema type-graphql built from IngestResolver, resolved by
 * resolveIngestEvents without converting its arguments to class instances. type-graphql's wrapper
 * does nothing else here: the schema has no global middlewares and no authChecker, and the method
 * none of its own (build-schema.ts; the permission layer wraps whatever resolver the field has).
 * `built` is the options the schema was built with: global middlewares or an authChecker would be
 * skipped for this one field, silently, so they are refused here instead.
 */
export function installIngestEventsResolver(schema: GraphQLSchema, built: Pick<BuildSchemaOptions, 'globalMiddlewares' | 'authChecker'>): GraphQLSchema {
  if (built.globalMiddlewares?.length || built.authChecker) {
    throw new Error('installIngestEventsResolver replaces type-graphql\'s resolver of ingestEvents, which would skip global middlewares and the authChecker: resolve ingestEvents through IngestResolver instead');
  }
  const field = schema.getMutationType()?.getFields().ingestEvents;
  if (field) field.resolve = (_root, args: { events: IngestEventData[] }, ctx: Context) => resolveIngestEvents(args.events, ctx);
  return schema;
}
