import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError, ValidationRule } from 'graphql';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Context } from '../context';
import type { Viewer } from '../auth/viewer';
import { maxAliasesRule, maxDepthRule, maxDirectivesRule, maxDuplicatesRule } from './limits';
import { costLimitPlugin, staffIntrospectionPlugin, tooManyErrorsPlugin } from './plugins';
import { budgetPlugin, installQueryTracking, requestWork } from './budget';
import { inputSanityPlugin, variablesLimit } from './input';
import { hardenFormatError } from './format-error';
import { bodyDepthLimit, jsonErrorHandler, requestTimeout } from './http';
import { MemoryStore, RedisStore, rateLimit, type RateLimitStore } from './rate-limit';

export { sendGraphQLError } from './http';
export { applyBudget } from './budget';

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
  const plugins: ApolloServerPlugin<Context>[] = [inputSanityPlugin(), costLimitPlugin(config.maxCost, config.maxPageSize), budgetPlugin(), tooManyErrorsPlugin()];
  if (config.introspection === 'staff') plugins.push(staffIntrospectionPlugin());
  const hideSuggestions = config.env !== 'development';
  return {
    apollo: {
      introspection: config.introspection !== 'off',
      validationRules: [maxDepthRule(config.maxDepth), maxAliasesRule(config.maxAliases), maxDirectivesRule(config.maxDirectives), maxDuplicatesRule(config.maxDuplicateFields)],
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
