import { setIngestConcurrency } from './ingestion/core';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { authenticate } from './auth/authenticate';
import type { Config } from './config';
import type { Logger } from './logger';
import { createContext, readFrom, type Context } from './context';
import type { ReadRouter } from './db/read-replicas';
import { buildAppSchema, buildBareSchema } from './schema/build-schema';
import { directWalkPlugin } from './planner/direct-walk';
import { createFormatError, SERVICE_UNAVAILABLE } from './errors/format-error';
import { createJwtVerifier } from './auth/jwt';
import type { Viewer } from './auth/viewer';
import { currentSqlStats, installSqlCounter } from './observability/sql-counter';
import { createObservability } from './observability';
import { playgroundRouter } from './playground/playground.router';
import { customer360Query, playgroundExamples } from './playground/examples';
import { consoleRouter } from './console/console.router';
import { applyBudget, budgetedSubscribe, createHardening, staticLimitsOf, subscriptionLimits } from './hardening';
import { staticLimitBreach } from './hardening/limits';
import { logWebSocketErrors } from './hardening/websocket-errors';
import { markApiKeyVerified } from './hardening/rate-limit';
import { upgradeLegacyDigests } from './services/privacy.service';
import { createActivityEvents, type ActivityEvents } from './live/activity-events';
import { startOutbound, type Outbound } from './outbound/delivery-worker';
import { startOutboxRelay, type OutboxRelay } from './live/outbox-relay';
import { startConsentExpirySweep, type ConsentExpirySweep } from './outbound/consent-expiry';
import { startTriggers, type TriggerEngine } from './triggers/engine';
import { trackingRouter } from './tracking/tracking.router';
import { textArray } from './services/pagination';
import { loadTrustedDocuments, trustedDocumentsIntake } from './hardening/trusted-documents';

const READY_TIMEOUT_MS = 900;

export interface RapportServer {
  app: express.Express;
  httpServer: http.Server;
  /** Listens; resolves with the bound port (0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /** Stops taking requests, lets in-flight ones finish, then closes. */
  close(): Promise<void>;
  /** Live updates (README "Live updates"): what mutations publish and subscriptions read. */
  events: ActivityEvents;
  /** The webhook dispatcher and workers, when they run in this server (WEBHOOK_WORKER=inline). */
  outbound?: Outbound;
  /** Segment and lifecycle events from the outbox to customerActivity subscribers. */
  liveRelay: OutboxRelay;
  consentExpiry: ConsentExpirySweep;
  /** The trigger engine, when it runs in this process (TRIGGER_WORKER=inline). */
  triggers?: TriggerEngine;
}

export interface ServerOptions {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  /** Headers the playground pre-fills (the development token). */
  playgroundHeaders?: Record<string, string>;
  /** Read replicas for query operations (README "Scaling out"); absent: everything on `orm`. */
  readRouter?: ReadRouter;
}

/**
 * A response with no data whose errors say the database is unavailable answers HTTP 503 (not 200, nor
 * 500), so load balancers and clients retry it as they retry any unavailable service. One that still
 * carries data (a root field answered before the outage, a nullable one answered null) stays 2xx, as
 * GraphQL over HTTP requires for `application/graphql-response+json` when `data` is not null: the
 * errors' `retryable` says which fields to ask again.
 */
function unavailablePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.data == null && result.errors?.some((e) => e.extensions?.code === SERVICE_UNAVAILABLE)) response.http.status = 503;
        },
      };
    },
  };
}

/**
 * Writes the request's personal-data reads to the audit log before the response leaves. If that
 * fails, the personal data is withheld: no read goes unrecorded.
 */
function auditPlugin(logger: Logger, exposeSqlCount: boolean): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operationName }) {
          const ctx = contextValue;
          if (ctx?.viewer && ctx.audit?.pendingReads) {
            try {
              await ctx.audit.flushReads(ctx.primary, ctx.viewer, ctx.requestId, operationName ?? null);
            } catch (err) {
              logger.error({ err, requestId: ctx.requestId }, 'audit log write failed: response withheld');
              if (response.body.kind === 'single') {
                response.body.singleResult = { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
              }
            }
          }
          // How many statements this operation sent to PostgreSQL, audit write included (the N+1 guard reads it).
          const stats = currentSqlStats();
          if (exposeSqlCount && stats && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, sqlStatements: stats.statements };
          }
        },
      };
    },
  };
}

/**
 * Query operations read from a replica when one is in rotation and, if the client sent
 * X-Rapport-Min-LSN, has replayed that far; mutations answer X-Rapport-LSN, the primary's WAL
 * position after they committed, for the client to send back (read-your-writes).
 */
function readRoutingPlugin(router: ReadRouter, logger: Logger, exposeReadFrom: boolean): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      let readFromReplica: string | null = null;
      return {
        async didResolveOperation({ operation, contextValue, request }) {
          if (operation?.operation !== 'query') return;
          const minLsn = request.http?.headers.get('x-rapport-min-lsn')?.trim() || undefined;
          const target = await router.choose(minLsn);
          if (target.replica) {
            readFrom(contextValue, target.orm);
            readFromReplica = target.replica;
          }
        },
        async willSendResponse({ operation, response, contextValue }) {
          if (operation?.operation === 'mutation') {
            try {
              response.http.headers.set('x-rapport-lsn', await router.primaryLsn());
            } catch (err) {
              // The write's own answer stands; only the read-your-writes hint is missing.
              logger.warn({ err, requestId: contextValue?.requestId }, 'could not read the primary WAL position');
            }
          }
          if (exposeReadFrom && operation?.operation === 'query' && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, readFrom: readFromReplica ? 'replica' : 'primary' };
          }
        },
      };
    },
  };
}

export async function createServer({ orm, config, logger, playgroundHeaders, readRouter }: ServerOptions): Promise<RapportServer> {
  installSqlCounter();
  setIngestConcurrency(config.ingestConcurrentBatches);
  const app = express();
  app.disable('x-powered-by');
  // Express hashes every response body for an ETag (SHA-1 of the whole answer: about 1.5% of the
  // server's CPU on the customer 360, profiled). Every GraphQL answer is `cache-control: no-store`, so
  // no client sends the tag back; analytics.js's files keep Last-Modified, so If-Modified-Since still
  // answers 304 for them.
  app.set('etag', false);
  // Request ids, one log line per request, Prometheus metrics: README "Observability" (src/observability).
  const obs = createObservability({ config, logger, orm });
  logger = obs.logger; // what is logged on behalf of a request carries its requestId
  app.use(obs.requestStart);
  const httpServer = http.createServer(app);
  // Idle keep-alive connections outlive their clients' and proxies' own idle timeouts (undici: 4 s, load
  // balancers: ~60 s): a server that closes first races the client's next request on that socket,
  // which then fails with ECONNRESET although nothing was wrong (seen under load in the test suite).
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const verifyJwt = createJwtVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience, maxLifetimeSeconds: config.jwtMaxLifetimeSeconds });
  // Limits, rate limits, timeouts, introspection and error shapes: README "Limits" (src/hardening).
  const hardening = await createHardening({ config, logger, verifyJwt });
  app.set('trust proxy', config.trustProxy);

  // Suppression digests from before PSEUDONYM_KEYS: converted once, so no reversible digest stays.
  const upgraded = await upgradeLegacyDigests(orm.em.fork() as EntityManager, config.pseudonymKeys);
  if (upgraded) logger.info({ digests: upgraded }, 'suppressed identifiers converted to keyed digests');

  // Trusted documents (README "Trusted documents"): a bad manifest stops start-up.
  const trusted = config.trustedDocuments ? loadTrustedDocuments(config.trustedDocuments) : undefined;
  if (trusted) logger.info({ documents: trusted.size }, 'serving trusted documents only');
  // Every list and root field checks the request's budget and timeout (src/hardening/budget.ts).
  const schema = applyBudget(await buildAppSchema(config.federation ? { federation: { maxRepresentations: config.maxPageSize } } : {}));
  const formatError = obs.formatError(hardening.formatError(createFormatError(logger)));
  const events = await createActivityEvents({ redisUrl: config.redisUrl, channel: config.liveChannel, logger });
  let wsCleanup: { dispose(): void | Promise<void> } | undefined; // set once /graphql is mounted

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries: on (Apollo's bounded in-memory cache) unless only trusted documents
    // run, where an unknown hash must never be registered by whoever sends it.
    ...(trusted ? { persistedQueries: false as const } : {}),
    ...hardening.apollo,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Closes the subscription sockets (1001 Going Away) when the server stops.
      { serverWillStart: async () => ({ drainServer: async () => wsCleanup?.dispose() }) },
      ApolloServerPluginLandingPageDisabled(),
      // Per-field cache hints cost a fifth of a list query's CPU (profiled) and nothing here is
      // cacheable: personal data answers `cache-control: no-store`, set below.
      ApolloServerPluginCacheControlDisabled(),
      // A subgraph would otherwise send the router per-field timing traces (ftv1) on request: CPU for every field, and timings to whoever asks.
      ApolloServerPluginInlineTraceDisabled(),
      auditPlugin(logger, config.exposeSqlCount),
      // Compiled reads answered without graphql-js's per-field walk (README "Performance"); not for a subgraph.
      ...(config.federation ? [] : [directWalkPlugin(await buildBareSchema())]),
      unavailablePlugin(),
      obs.apolloPlugin,
      ...hardening.plugins,
      ...(readRouter ? [readRoutingPlugin(readRouter, logger, config.exposeSqlCount)] : []),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // A frozen database (a hung host, a network partition) never answers: the probe gives it one
  // second, so that the load balancer hears "not ready" in time instead of waiting with it.
  app.get('/readyz', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), READY_TIMEOUT_MS)));
    try {
      const answer = await Promise.race([orm.em.fork().getConnection().execute('select 1'), late]);
      if (answer === 'late') res.status(503).json({ status: 'unavailable', reason: `database did not answer within ${READY_TIMEOUT_MS} ms` });
      else res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    } finally {
      clearTimeout(timer);
    }
  });

  if (obs.metricsHandler) app.get('/metrics', obs.metricsHandler);

  // GraphiQL: PLAYGROUND (off by default in production, where introspection is off too).
  if (config.playground) {
    app.use(
      playgroundRouter({
        endpoint: '/graphql',
        defaultHeaders: playgroundHeaders ? JSON.stringify(playgroundHeaders, null, 2) : undefined,
        exampleQuery: customer360Query,
        examples: playgroundExamples,
      }),
    );
  }

  // The customer-360 console: CONSOLE (off by default in production). It reads the API under the
  // token its viewer pastes in; the server gives it nothing else.
  if (config.console) app.use(consoleRouter({ endpoint: '/graphql' }));

  app.use(
    '/graphql',
    (_req, res, next) => {
      res.setHeader('cache-control', 'no-store');
      next();
    },
    hardening.intake,
    ...(trusted ? [trustedDocumentsIntake(trusted)] : []),
    obs.graphqlScope,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        // One id per request: the X-Request-Id header, the log lines, the audit log.
        const requestId = obs.requestIdOf(res)!;
        const apiKey = req.headers['x-api-key'];
        const viewer = await authenticate(req.headers.authorization, typeof apiKey === 'string' ? apiKey : undefined, verifyJwt, orm, logger);
        obs.noteViewer(res, viewer);
        if (viewer?.apiKeyId) markApiKeyVerified(res);
        return createContext(orm, config, viewer, requestId, events);
      },
    }),
  );

  // The Segment-compatible tracking API and analytics.js (README "Tracking API").
  if (config.trackingApi) {
    app.use(
      trackingRouter({
        apollo,
        schema,
        intake: hardening.intake,
        knownSkus: async (skus) => {
          const rows: Array<{ sku: string }> = await orm.em.fork().getConnection().execute('select sku from products where sku = any(?::text[])', [textArray(skus)]);
          return new Set(rows.map((r) => r.sku));
        },
        recordedTimes: async (source, keys) => {
          const rows: Array<{ key: string; at: Date | string | null }> = await orm.em.fork().getConnection().execute(
            `select e.idempotency_key as key, coalesce(i.occurred_at, o.placed_at) as at from ingest_events e
              left join interactions i on i.id = (e.result->>'interactionId')::uuid
              left join orders o on o.id = (e.result->>'orderId')::uuid
             where e.source = ? and e.idempotency_key = any(?::text[])`,
            [source, textArray(keys)],
          );
          return new Map(rows.filter((r) => r.at !== null).map((r) => [r.key, new Date(r.at!)]));
        },
        authenticate: (apiKey) => authenticate(undefined, apiKey, verifyJwt, orm, logger),
        createContext: (viewer, res) => {
          obs.noteViewer(res, viewer);
          return { ...createContext(orm, config, viewer, obs.requestIdOf(res)!, events), ingestPath: 'tracking' };
        },
      }),
    );
  }

  // Subscriptions: the graphql-ws protocol on the same path (README "Live updates").
  // A message is held to the body limit of HTTP (ws' own default is 100 MiB), refused with close code
  // 1009 as it arrives, before it is buffered whole and parsed (which happens before the credentials
  // in it are checked).
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.bodyLimitBytes });
  // ws re-emits the HTTP server's errors (EADDRINUSE…); listen() reports those, so this only keeps
  // an unhandled 'error' event from crashing the process.
  wsServer.on('error', (err) => logger.debug({ err }, 'websocket server error'));
  wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      schema,
      // Each event executes under its own row and field budget and the request timeout, as an HTTP request does.
      subscribe: budgetedSubscribe({ maxRows: config.maxRows, maxFields: config.maxResolvedFields, timeoutMs: config.requestTimeoutMs }),
      // Same credentials as over HTTP, in the connection params; anonymous or bad: closed with 4403.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
        try {
          const viewer = await authenticate(text(params.Authorization ?? params.authorization), text(params['X-API-Key'] ?? params['x-api-key']), verifyJwt, orm, logger);
          if (!viewer) return false;
          ctx.extra.viewer = viewer;
          return true;
        } catch {
          return false;
        }
      },
      // Subscriptions only (queries and mutations go over HTTP, with their rate limits and audit),
      // under the same parser and validation limits as HTTP.
      onSubscribe: (ctx, _id, payload) => {
        let document: DocumentNode;
        let query = payload.query;
        if (trusted) {
          const outcome = trusted.resolve(payload);
          if ('code' in outcome) return [new GraphQLError(outcome.message, { extensions: { code: outcome.code } })];
          query = outcome.query;
        }
        try {
          document = parse(query, { maxTokens: config.maxTokens });
        } catch (e) {
          return [e instanceof GraphQLError ? e : new GraphQLError('could not parse the operation')];
        }
        // The static limits first, as over HTTP: graphql-js' rules never run on a document past them.
        const breach = staticLimitBreach(document, staticLimitsOf(config));
        if (breach) return [breach];
        const errors = validate(schema, document, specifiedRules);
        if (errors.length) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== 'subscription') {
          return [new GraphQLError('only subscriptions are served over WebSocket: send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        // What HTTP checks in its intake and plugins, which a WebSocket message does not pass through:
        // every event executes the selection again, so an over-cost one would be run once per event.
        const refusal = subscriptionLimits(schema, document, operation, payload.variables, config);
        if (refusal) return [refusal];
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: createContext(orm, config, ctx.extra.viewer ?? null, randomUUID(), events),
        };
      },
      // Every delivered event: its personal-data reads are audited before it leaves (or it is withheld), errors formatted as over HTTP.
      onNext: async (_ctx, _id, payload, args, result): Promise<FormattedExecutionResult> => {
        const c = args.contextValue as Context;
        if (c?.viewer && c.audit?.pendingReads) {
          try {
            await c.audit.flushReads(c.em, c.viewer, c.requestId, payload.operationName ?? getOperationAST(args.document)?.name?.value ?? null);
          } catch (err) {
            logger.error({ err, requestId: c.requestId }, 'audit log write failed: event withheld');
            return { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
          }
        }
        return result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : (result as FormattedExecutionResult);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
    },
    wsServer,
  );
  // Refused messages (over maxPayload, malformed): counted, one log line a minute, not one each.
  logWebSocketErrors(wsServer, logger);
  // Errors before or around Apollo (body too large, bad JSON…) and anywhere else: JSON, never
  // Express' HTML page with a stack trace.
  app.use(obs.errorScope, hardening.errorHandler);

  // Webhooks (README "Webhooks"): in this process unless a separate worker runs them.
  const outbound = config.webhooks.worker === 'inline'
    ? await startOutbound({ databaseUrl: orm.config.get('clientUrl')!, config: config.webhooks, logger })
    : undefined;
  // Triggers (README "Triggers"): likewise.
  const triggers = config.triggers.worker === 'inline'
    ? await startTriggers({ databaseUrl: orm.config.get('clientUrl')!, config: config.triggers, logger })
    : undefined;

  const liveRelay = startOutboxRelay({ databaseUrl: orm.config.get('clientUrl')!, events, logger, pollMs: config.liveRelayPollMs });
  // Lapsed time-limited grants: announced as consent.changed, and out of the segments that need them.
  const consentExpiry = startConsentExpirySweep({
    databaseUrl: orm.config.get('clientUrl')!, logger, pollSeconds: config.consentExpiryPollSeconds, lookbackHours: config.consentExpiryLookbackHours,
  });

  return {
    app,
    httpServer,
    outbound,
    liveRelay,
    consentExpiry,
    triggers,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const addr = httpServer.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    close: async () => {
      // Stops HTTP and, through the drainServer plugin above, closes the WebSocket connections.
      await apollo.stop();
      await hardening.close();
      await liveRelay.stop();
      await consentExpiry.stop();
      await events.close();
      await triggers?.stop();
      await outbound?.stop();
    },
    events,
  };
}
