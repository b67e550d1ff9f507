/**
 * ingestEvents is resolved with graphql-js's coerced arguments, bypassing type-graphql's resolver wrapper
 * (src/resolvers/ingest/ingest.resolver.ts). That wrapper is also where type-graphql runs global
 * middlewares and the authChecker: building the schema with either must fail loudly rather than skip them
 * for this one field.
 */
import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { installIngestEventsResolver } from '../../src/resolvers/ingest/ingest.resolver';
import { buildBareSchema } from '../../src/schema/build-schema';

const schemaWith = () => {
  const original = () => 'type-graphql';
  return {
    original,
    schema: new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLString } } }),
      mutation: new GraphQLObjectType({ name: 'Mutation', fields: { ingestEvents: { type: GraphQLString, resolve: original } } }),
    }),
  };
};

it('refuses a schema built with global middlewares or an authChecker, and leaves its resolver as it was', () => {
  for (const built of [{ globalMiddlewares: [async (_: unknown, next: () => Promise<unknown>) => next()] }, { authChecker: () => true }]) {
    const { schema, original } = schemaWith();
    expect(() => installIngestEventsResolver(schema, built)).toThrow(/skip global middlewares and the authChecker/);
    expect(schema.getMutationType()!.getFields().ingestEvents.resolve).toBe(original);
  }
});

it('replaces the resolver when the schema has neither (an empty middleware list counts as none)', () => {
  for (const built of [{}, { globalMiddlewares: [] }]) {
    const { schema, original } = schemaWith();
    expect(installIngestEventsResolver(schema, built)).toBe(schema);
    expect(schema.getMutationType()!.getFields().ingestEvents.resolve).not.toBe(original);
  }
});

it('is installed on the schema the server builds', async () => {
  const schema = await buildBareSchema();
  expect(schema.getMutationType()!.getFields().ingestEvents.resolve!.toString()).toContain('resolveIngestEvents');
});
