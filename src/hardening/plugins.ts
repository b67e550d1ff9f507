import { GraphQLError, parse, visit, BREAK, type DocumentNode, type FieldNode, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';
import { STAFF_ROLES } from '../auth/viewer';
import { cachedOperationCost, costBreach, staticLimitBreach, type StaticLimits } from './limits';
import { TOO_MANY_ERRORS_MESSAGE } from './format-error';

/**
 * Rejects an operation whose static cost (see `operationCost`) is over `maxCost`, with HTTP 400.
 * A plugin rather than a validation rule: the cost depends on the variables (`first: $n`), and
 * Apollo caches validation per document.
 */
export function costLimitPlugin(maxCost: number, maxPageSize: number): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          const cost = cachedOperationCost(schema, document, operation, request.variables ?? {}, maxPageSize);
          if (cost > maxCost) {
            const err = costBreach(cost, maxCost, operation);
            throw new GraphQLError(err.message, { nodes: err.nodes, extensions: { ...err.extensions, http: { status: 400 } } });
          }
        },
      };
    },
  };
}

/**
 * graphql-js' "too many errors" (variable coercion stopped after 50) is the client's fault: HTTP 400,
 * like any other coercion error, instead of Apollo's 500 for an error without a code.
 */
export function tooManyErrorsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, response }) {
          if (errors.some((e) => e.message === TOO_MANY_ERRORS_MESSAGE)) response.http.status = 400;
        },
      };
    },
  };
}

/** One message for INTROSPECTION=off (Apollo's rule, reworded in formatError) and =staff. */
export const INTROSPECTION_DISABLED_MESSAGE = 'GraphQL introspection is not allowed: the query contained __schema or __type';

/** The first `__schema` or `__type` field of a document, if any (`__typename` is not introspection). */
export function introspectionField(doc: DocumentNode): FieldNode | undefined {
  let found: FieldNode | undefined;
  visit(doc, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = node;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * INTROSPECTION=staff: `__schema` and `__type` only for an authenticated staff viewer (admin, support,
 * marketing, analyst). Anyone else gets exactly what INTROSPECTION=off answers (400,
 * GRAPHQL_VALIDATION_FAILED, INTROSPECTION_DISABLED), so the answer tells nothing about the credential. `__typename` stays open.
 * The viewer is known only per request, so this is a plugin, not a (cached) validation rule.
 */
export function staffIntrospectionPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          const role = contextValue.viewer?.role;
          if (role && STAFF_ROLES.includes(role)) return;
          const field = introspectionField(document);
          if (field) {
            throw new GraphQLError(INTROSPECTION_DISABLED_MESSAGE, {
              nodes: [field],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * Depth, aliases, directives and duplicated fields (`staticLimitBreach`), decided before graphql-js'
 * validation rules run, which Apollo runs all together in one pass: as rules beside them, a breach was
 * reported only once graphql-js' quadratic overlap check had run over the whole document. A document
 * over a limit is swapped, for validation only, for a stub that the rule below answers with the
 * breach: Apollo then answers it as any validation failure (HTTP 400, every plugin's hooks), and, as
 * it failed, never stores or runs it. The stub is new per breach, so the breach is found by it alone.
 */
export function staticLimitsPlugin(max: StaticLimits): { plugin: ApolloServerPlugin<Context>; rule: ValidationRule } {
  const breaches = new WeakMap<DocumentNode, GraphQLError>();
  return {
    plugin: {
      async requestDidStart() {
        return {
          async validationDidStart(requestContext) {
            const breach = staticLimitBreach(requestContext.document, max);
            if (!breach) return;
            const stub = parse('{ __typename }', { noLocation: true });
            breaches.set(stub, breach);
            (requestContext as { document: DocumentNode }).document = stub;
          },
        };
      },
    },
    rule: (context) => ({
      Document(doc) {
        const breach = breaches.get(doc);
        if (breach) context.reportError(breach);
      },
    }),
  };
}
