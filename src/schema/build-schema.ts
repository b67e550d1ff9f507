import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { applyMiddleware } from 'graphql-middleware';
import { resolvers } from '../resolvers';
import { registerEnums } from './enums';
import { permissions } from './permissions';

let cached: GraphQLSchema | undefined;

/** The executable schema without permissions: what `schema.graphql` is emitted from. */
export async function buildBareSchema(): Promise<GraphQLSchema> {
  if (!cached) {
    registerEnums();
    cached = await buildSchema({
      resolvers,
      // Inputs are validated in the services (one place, typed errors); no class-validator decorators.
      validate: false,
      emitSchemaFile: false,
    });
  }
  return cached;
}

/** The served schema: the bare schema wrapped in the graphql-shield permission layer. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  return applyMiddleware(await buildBareSchema(), permissions);
}
