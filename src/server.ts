import http from 'node:http';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { authenticateApiKey } from './auth/api-keys';
import type { Config } from './config';
import type { Logger } from './logger';
import { createContext, type Context } from './context';
import { buildAppSchema } from './schema/build-schema';
import { createFormatError } from './errors/format-error';
import { createJwtVerifier } from './auth/jwt';
import type { Viewer } from './auth/viewer';
import { DomainError, ErrorCode } from './errors/domain-error';
import { currentSqlStats, installSqlCounter } from './observability/sql-counter';
import { createObservability } from './observability';
import { playgroundRouter } from './playground/playground.router';
import { customer360Query, playgroundExamples } from './playground/examples';
import { createHardening } from './hardening';

export interface RapportServer {
  app: express.Express;
  httpServer: http.Server;
  /** Listens; resolves with the bound port (0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /** Stops taking requests, lets in-flight ones finish, then closes. */
  close(): Promise<void>;
}

export interface ServerOptions {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  /** Headers the playground pre-fills (the development token). */
  playgroundHeaders?: Record<string, string>;
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
              await ctx.audit.flushReads(ctx.em, ctx.viewer, ctx.requestId, operationName ?? null);
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

export async function createServer({ orm, config, logger, playgroundHeaders }: ServerOptions): Promise<RapportServer> {
  installSqlCounter();
  const app = express();
  app.disable('x-powered-by');
  // Request ids, one log line per request, Prometheus metrics: README "Observability" (src/observability).
  const obs = createObservability({ config, logger, orm });
  logger = obs.logger; // what is logged on behalf of a request carries its requestId
  app.use(obs.requestStart);
  const httpServer = http.createServer(app);
  const verifyJwt = createJwtVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience });
  // Limits, rate limits, timeouts, introspection and error shapes: README "Limits" (src/hardening).
  const hardening = await createHardening({ config, logger, verifyJwt });
  app.set('trust proxy', config.trustProxy);

  const apollo = new ApolloServer<Context>({
    schema: await buildAppSchema(),
    formatError: obs.formatError(hardening.formatError(createFormatError(logger))),
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    ...hardening.apollo,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Per-field cache hints cost a fifth of a list query's CPU (profiled) and nothing here is
      // cacheable: personal data answers `cache-control: no-store`, set below.
      ApolloServerPluginCacheControlDisabled(),
      auditPlugin(logger, config.exposeSqlCount),
      obs.apolloPlugin,
      ...hardening.plugins,
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await orm.em.fork().getConnection().execute('select 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  if (obs.metricsHandler) app.get('/metrics', obs.metricsHandler);

  app.use(
    playgroundRouter({
      endpoint: '/graphql',
      defaultHeaders: playgroundHeaders ? JSON.stringify(playgroundHeaders, null, 2) : undefined,
      exampleQuery: customer360Query,
      examples: playgroundExamples,
    }),
  );

  app.use(
    '/graphql',
    (_req, res, next) => {
      res.setHeader('cache-control', 'no-store');
      next();
    },
    hardening.intake,
    obs.graphqlScope,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        // One id per request: the X-Request-Id header, the log lines, the audit log.
        const requestId = obs.requestIdOf(res)!;
        const apiKey = req.headers['x-api-key'];
        const viewer = await authenticate(req.headers.authorization, typeof apiKey === 'string' ? apiKey : undefined, verifyJwt, orm, logger);
        obs.noteViewer(res, viewer);
        return createContext(orm, config, viewer, requestId);
      },
    }),
  );
  // Errors before or around Apollo (body too large, bad JSON…) and anywhere else: JSON, never
  // Express' HTML page with a stack trace.
  app.use(obs.errorScope, hardening.errorHandler);

  return {
    app,
    httpServer,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const addr = httpServer.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    close: async () => {
      await apollo.stop();
      await hardening.close();
    },
  };
}

/**
 * Bearer JWT (staff, customers) or X-API-Key (partners). Neither: anonymous, and every guarded field
 * answers UNAUTHENTICATED. A bad credential, or both at once: HTTP 401.
 */
async function authenticate(header: string | undefined, apiKey: string | undefined, verifyJwt: (t: string) => Promise<Viewer>, orm: MikroORM, logger: Logger): Promise<Viewer | null> {
  if (!header && !apiKey) return null;
  try {
    if (header && apiKey) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'send either a bearer token or an API key, not both');
    if (apiKey) return await authenticateApiKey(orm.em.fork() as EntityManager, apiKey);
    const match = /^Bearer\s+(\S+)$/i.exec(header!);
    if (!match) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Authorization must be "Bearer <token>"');
    return await verifyJwt(match[1]);
  } catch (e) {
    if (e instanceof DomainError) throw new GraphQLError(e.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    // A failure of ours (database down…) is not the client's bad credential, and its details stay in the log.
    logger.error({ err: e }, 'authentication failed unexpectedly');
    throw new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
  }
}
