import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { Kind, parse, printSchema, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createResolversMap } from 'type-graphql';
import type { Context } from '../context';
import { badInput } from '../errors/domain-error';
import { loadNodeOf } from '../resolvers/node/node.resolver';

/**
 * Rapport as an Apollo Federation 2 subgraph (README "Federation"). Customer, Product and Order are
 * entities keyed by their global id; other subgraphs extend them and the router resolves them here
 * through `_entities`, each representation exactly as `node(id)` answers it (same loaders, so one
 * statement per type and request; null where the viewer may not see the object), then every field
 * under the same permission rules as any other read.
 */
export const ENTITY_TYPES = ['Customer', 'Product', 'Order'] as const;
const FEDERATION_LINK = 'https://specs.apollo.dev/federation/v2.3';

/** The subgraph SDL: the served schema's, with `@key(fields: "id")` on the entities and the federation link. */
export function subgraphTypeDefs(bare: GraphQLSchema): DocumentNode {
  const sdl = `extend schema @link(url: "${FEDERATION_LINK}", import: ["@key"])\n\n${printSchema(bare)}`;
  const entities = new Set<string>(ENTITY_TYPES);
  return visit(parse(sdl), {
    ObjectTypeDefinition(node) {
      if (!entities.has(node.name.value)) return undefined;
      return {
        ...node,
        directives: [
          ...(node.directives ?? []),
          {
            kind: Kind.DIRECTIVE,
            name: { kind: Kind.NAME, value: 'key' },
            arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'fields' }, value: { kind: Kind.STRING, value: 'id' } }],
          },
        ],
      };
    },
  });
}

/**
 * The bare type-graphql schema rebuilt as a subgraph: its SDL with the federation additions, its own
 * resolvers (type-graphql's resolver map), reference resolvers for the entities, and each field's
 * extensions carried over (the cost limit reads list bounds from them).
 */
export function toSubgraphSchema(bare: GraphQLSchema, maxRepresentations: number): GraphQLSchema {
  const resolvers = createResolversMap(bare) as GraphQLResolverMap<unknown>;
  for (const type of ENTITY_TYPES) {
    resolvers[type] = {
      ...(resolvers[type] as object),
      __resolveReference: (ref: { id?: unknown }, ctx: unknown) => (typeof ref.id === 'string' ? loadNodeOf(type, ref.id, ctx as Context) : null),
    } as GraphQLResolverMap<unknown>[string];
  }
  const schema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(bare), resolvers });
  for (const [name, type] of Object.entries(bare.getTypeMap())) {
    const target = schema.getType(name);
    if (!target || !('getFields' in target) || !('getFields' in type)) continue;
    const fields = target.getFields() as Record<string, { extensions: Record<string, unknown> }>;
    for (const [fieldName, field] of Object.entries(type.getFields() as Record<string, { extensions: Record<string, unknown> }>)) {
      if (fields[fieldName] && field.extensions) fields[fieldName].extensions = { ...field.extensions, ...fields[fieldName].extensions };
    }
  }
  // As `nodes`: a bounded number of representations per request.
  const entities = schema.getQueryType()!.getFields()._entities;
  const resolve = entities.resolve!;
  entities.resolve = (source, args, ctx, info) => {
    if ((args.representations as unknown[]).length > maxRepresentations) throw badInput(`at most ${maxRepresentations} representations`, 'representations');
    return resolve(source, args, ctx, info);
  };
  return schema;
}
