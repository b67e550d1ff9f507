import 'reflect-metadata';
import { assertValidSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type BuildSchemaOptions } from 'type-graphql';
import { resolvers } from '../resolvers';
import { registerEnums } from './enums';
import { applyPermissions, guardSubscriptions } from './permissions';
import { applyDescriptions } from './describe';
import { installReadPlanner } from '../planner/read-planner';
import { installIngestEventsResolver } from '../resolvers/ingest/ingest.resolver';

let cached: GraphQLSchema | undefined;

const unusedPubSub = {
  publish(): void {
    throw new Error('topic-based subscriptions are not used: publish through ctx.events');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('topic-based subscriptions are not used: subscribe through ctx.events');
  },
};

/** The executable schema without permissions: what `schema.graphql` is emitted from. */
export async function buildBareSchema(): Promise<GraphQLSchema> {
  if (!cached) {
    registerEnums();
    // ingestEvents takes its 500 events as graphql-js coerced them (no class instances: ingest.resolver.ts).
    const options: BuildSchemaOptions = {
      resolvers,
      // Inputs are validated in the services (one place, typed errors); no class-validator decorators.
      validate: false,
      emitSchemaFile: false,
      // Subscriptions bring their own event source (`subscribe:`, from the context: src/live); topic-based
      // type-graphql subscriptions are not used, so this pub/sub only refuses.
      pubSub: unusedPubSub,
      // type-graphql checks a new schema by running the whole introspection query on it: about a third of
      // building the schema (~0.3 s of every server start, and of every test file's). What that check finds
      // is the schema's validity, asserted here (and again by Apollo Server at start), and a default value
      // that cannot be printed, which `schema.graphql` (printed from this schema, compared by
      // tests/unit/schema-files.test.ts) and tests/hardening/introspection.test.ts would show.
      skipCheck: true,
    };
    const schema = await buildSchema(options);
    assertValidSchema(schema);
    cached = installIngestEventsResolver(applyDescriptions(schema), options);
  }
  return cached;
}

/**
 * The served schema: the bare schema wrapped in the graphql-shield permission layer; with
 * `federation`, first rebuilt as an Apollo Federation subgraph (README "Federation").
 */
export async function buildAppSchema(opts: { federation?: { maxRepresentations: number } } = {}): Promise<GraphQLSchema> {
  // The read planner stands in for resolvers under the permission layer (READ_PLANNER, README "Performance").
  const bare = installReadPlanner(await buildBareSchema());
  if (opts.federation) {
    // Loaded only where federation is on: @apollo/subgraph and the federation internals are a tenth of
    // what a server start loads, for a feature most installations leave off.
    const { toSubgraphSchema } = await import('./federation');
    return guardSubscriptions(applyPermissions(toSubgraphSchema(bare, opts.federation.maxRepresentations), { federation: true }));
  }
  return guardSubscriptions(applyPermissions(bare));
}
