import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode, type ValidationRule } from 'graphql';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Context } from '../context';
import type { Viewer } from '../auth/viewer';
import { costBreach, operationCost } from './limits';
import { costLimitPlugin, staffIntrospectionPlugin, staticLimitsPlugin, tooManyErrorsPlugin } from './plugins';
import { budgetPlugin, installQueryTracking, requestWork } from './budget';
import { inputSanityPlugin, unstorableInput, variablesLimit, variablesShapeProblem } from './input';
import { hardenFormatError } from './format-error';
import { bodyDepthLimit, jsonErrorHandler, requestTimeout } from './http';
import { MemoryStore, RedisStore, rateLimit, type RateLimitStore } from './rate-limit';

export { sendGraphQLError } from './http';
export { applyBudget, budgetedSubscribe } from './budget';

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface Hardening {
  /** Spread into the ApolloServer options. */
  apollo: {
    introspection: boolean;
    validationRules: ValidationRule[];
    parseOptions: { maxTokens: number };
    hideSchemaDetailsFromClientErrors: boolean;
  };
  plugins: ApolloServerPlugin<Context>[];
  formatError(base: FormatError): FormatError;
  /**
   * First on /graphql: the request's work budget, request timeout, rate limit (before the body is
   * read), the JSON body parser with the configured limit, a nesting limit, the shape limits of
   * `variables`, then a stop for a request that timed out while its body was read.
   */
  intake: RequestHandler;
  /** Last on the app: JSON errors instead of Express' HTML page (body parser errors and the like). */
  errorHandler: ErrorRequestHandler;
  store: RateLimitStore;
  close(): Promise<void>;
}

export interface HardeningOptions {
  config: Config;
  logger: Logger;
  verifyJwt: (token: string) => Promise<Viewer>;
}

/** Everything README's "Limits" section describes, from the config. */
export async function createHardening({ config, logger, verifyJwt }: HardeningOptions): Promise<Hardening> {
  let store: RateLimitStore;
  if (config.redisUrl && config.rateLimitPerMinute > 0) {
    const redis = new RedisStore(config.redisUrl, logger);
    if (!(await redis.ready())) logger.warn('rate limit store (Redis) not reachable at start: requests are not limited until it is');
    store = redis;
  } else {
    store = new MemoryStore();
  }
  installQueryTracking();
  // Unstorable input first: Apollo runs didResolveOperation hooks together and answers the first refusal.
  const staticLimits = staticLimitsPlugin(staticLimitsOf(config));
  const plugins: ApolloServerPlugin<Context>[] = [staticLimits.plugin, inputSanityPlugin(), costLimitPlugin(config.maxCost, config.maxPageSize), budgetPlugin(), tooManyErrorsPlugin()];
  if (config.introspection === 'staff') plugins.push(staffIntrospectionPlugin());
  const hideSuggestions = config.env !== 'development';
  return {
    apollo: {
      introspection: config.introspection !== 'off',
      // Decided before validation (staticLimitsPlugin); this rule answers the breach found there.
      validationRules: [staticLimits.rule],
      parseOptions: { maxTokens: config.maxTokens },
      hideSchemaDetailsFromClientErrors: hideSuggestions,
    },
    plugins,
    formatError: (base) => hardenFormatError(base, { hideSuggestions, logger }),
    intake: express.Router().use(
      requestWork(config.maxRows, config.maxResolvedFields),
      requestTimeout(config.requestTimeoutMs, logger),
      rateLimit({ limit: config.rateLimitPerMinute, store, verifyJwt, logger }),
      express.json({ limit: config.bodyLimitBytes }),
      bodyDepthLimit(),
      variablesLimit(),
      (_req, res, next) => {
        if (!res.locals.rapportTimedOut) next();
      },
    ),
    errorHandler: jsonErrorHandler(logger, config.bodyLimitBytes),
    store,
    close: () => store.close(),
  };
}

/** The four static limits of `config` (staticLimitBreach), for the HTTP plugin and the WebSocket intake alike. */
export function staticLimitsOf(config: Pick<Config, 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxDuplicateFields'>) {
  return { depth: config.maxDepth, aliases: config.maxAliases, directives: config.maxDirectives, duplicates: config.maxDuplicateFields };
}

/**
 * The checks a request gets over HTTP outside graphql-js validation (the intake's variables shape, the
 * plugins' unstorable input and static cost), for a subscription over WebSocket, which passes through
 * neither: the first refusal, else undefined. Each event a subscription delivers executes its
 * selection again, so the cost limit matters there as much as for a query.
 */
export function subscriptionLimits(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: unknown, config: Pick<Config, 'maxCost' | 'maxPageSize'>,
): GraphQLError | undefined {
  const vars = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
  const shape = variablesShapeProblem(vars);
  if (shape) return new GraphQLError(shape.message, { extensions: { code: 'BAD_REQUEST', limit: shape.limit, max: shape.max } });
  const unstorable = unstorableInput(schema, document, operation, vars);
  if (unstorable) return unstorable;
  const cost = operationCost(schema, document, operation, vars, config.maxPageSize);
  return cost > config.maxCost ? costBreach(cost, config.maxCost, operation) : undefined;
}
