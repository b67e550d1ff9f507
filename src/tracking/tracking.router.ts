import path from 'node:path';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError, coerceInputValue, isInputType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import type { Context } from '../context';
import type { Viewer } from '../auth/viewer';
import { isDatabaseUnavailable, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE } from '../errors/format-error';
import { rightsOf } from '../ingestion/rules';
import { checkVariable } from '../hardening/input';
import { MAX_INGEST_EVENTS } from '../ingestion/core';
import { MESSAGE_TYPES, SHORT_PATHS, idempotencyKeyOf, isObject, mapMessage, type IngestEventVariables, type MappingRejection, type MessageType } from './segment-spec';

/**
 * The Segment-compatible tracking API (README "Tracking API"): /v1/identify, track, page, screen,
 * alias, batch (and analytics.js' one-letter paths), authenticated by a write key (an API key with
 * `events:write`; identify and alias also need `profiles:write`, a first-party source's scope) in HTTP
 * Basic or, as analytics.js sends it, in the body. Every message becomes an
 * ingestEvents event and the batch is executed as that mutation, through the same schema, policy
 * table, limits and audit as a GraphQL client's: this adapter only maps shapes.
 *
 * Also serves analytics.js itself (the @segment/analytics-next build) and its settings, so that a web
 * page can track into Rapport with the standard snippet and no third-party host.
 */
export interface TrackingRouterOptions {
  apollo: ApolloServer<Context>;
  /** The served schema: each mapped message is checked against IngestEventInput on its own. */
  schema: GraphQLSchema;
  /** The same authentication as /graphql: an API key → a partner viewer; throws a GraphQLError (401). */
  authenticate(apiKey: string): Promise<Viewer | null>;
  createContext(viewer: Viewer, res: Response): Context;
  /** Request timeout, rate limit, JSON body limit and nesting limit (hardening's intake). */
  intake: RequestHandler;
  /** Which of these SKUs name a product of the catalogue (one query; throws in a database outage). */
  knownSkus(skus: string[]): Promise<Set<string>>;
  /** When the events already recorded under these keys of `source` happened (interactions and orders; one query). */
  recordedTimes(source: string, keys: string[]): Promise<Map<string, Date>>;
}

const INGEST = `mutation TrackingApi($events: [IngestEventInput!]!) {
  ingestEvents(events: $events) {
    results { index status interactionId orderId error { code message field reason } }
  }
}`;

interface TrackResult {
  messageId: string;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  interactionId?: string | null;
  orderId?: string | null;
  error?: { code: string; message: string; field: string | null; reason?: string | null };
}

const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400, BAD_REQUEST: 400, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503, REQUEST_TIMEOUT: 503 };

function fail(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ success: false, code, message });
}

/** The write key: HTTP Basic's user name (Segment's server libraries), else `writeKey` in the body (analytics.js). */
function writeKeyOf(req: Request): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (m) return Buffer.from(m[1], 'base64').toString('utf8').split(':')[0] || undefined;
  const body = req.body as { writeKey?: unknown } | undefined;
  return typeof body?.writeKey === 'string' && body.writeKey ? body.writeKey : undefined;
}

export function trackingRouter(opts: TrackingRouterOptions): express.Router {
  const router = express.Router();
  const eventType = opts.schema.getType('IngestEventInput');
  if (!eventType || !isInputType(eventType)) throw new Error('the schema has no IngestEventInput');
  const bundles = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd');

  // analytics.js posts JSON as text/plain (no CORS preflight); read it as the JSON it is.
  const plainIsJson: RequestHandler = (req, _res, next) => {
    if (/^text\/plain\b/i.test(req.headers['content-type'] ?? '')) req.headers['content-type'] = 'application/json';
    next();
  };
  // Any page may send events: the write key, not a cookie, is the credential, so there is nothing to forge.
  const cors: RequestHandler = (req, res, next) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cache-control', 'no-store');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-max-age', '600');
      res.status(204).end();
      return;
    }
    next();
  };

  const handle = (type: MessageType | 'batch'): RequestHandler => async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(res, 400, 'BAD_REQUEST', 'send one JSON object');
    let messages: unknown[] = type === 'batch' ? (Array.isArray(body.batch) ? body.batch : []) : [body];
    // Segment's batch API: a `context` beside `batch` applies to every message in it (a message's own keys win).
    const shared = type === 'batch' ? body.context : undefined;
    if (isObject(shared)) {
      messages = messages.map((m) => (isObject(m) ? { ...m, context: { ...shared, ...(isObject(m.context) ? m.context : {}) } } : m));
    }
    if (type === 'batch' && !messages.length) return fail(res, 400, 'BAD_REQUEST', 'batch must be a non-empty array of messages');
    if (messages.length > MAX_INGEST_EVENTS) return fail(res, 400, 'BAD_REQUEST', `a batch holds at most ${MAX_INGEST_EVENTS} messages`);

    const writeKey = writeKeyOf(req);
    if (!writeKey) return fail(res, 401, 'UNAUTHENTICATED', 'send the write key (an API key with events:write) as the HTTP Basic user name');
    let viewer: Viewer | null;
    try {
      viewer = await opts.authenticate(writeKey);
    } catch (err) {
      const code = err instanceof GraphQLError ? String(err.extensions.code ?? 'INTERNAL_SERVER_ERROR') : 'INTERNAL_SERVER_ERROR';
      return fail(res, HTTP_STATUS[code] ?? 500, code, err instanceof GraphQLError && code !== 'INTERNAL_SERVER_ERROR' ? err.message : 'Internal server error');
    }
    if (!viewer) return fail(res, 401, 'UNAUTHENTICATED', 'invalid, expired or revoked write key');

    const receivedAt = new Date();
    const { mayLink } = rightsOf(viewer);
    const source = `segment:${viewer.apiKeyId ?? viewer.subject}`;
    const results: Array<TrackResult | undefined> = new Array(messages.length);
    const events: IngestEventVariables[] = [];
    const positions: number[] = [];
    const timedByReceipt = new Set<IngestEventVariables>();
    messages.forEach((msg, i) => {
      const mapped = mapMessage(msg, type === 'batch' ? undefined : type, source, receivedAt, { mayLink });
      const messageId = typeof msg === 'object' && msg ? idempotencyKeyOf(msg as Record<string, unknown>) : '';
      // A value the mutation's variables cannot take (a quantity of 0, a price below zero, a number
      // as a first name…) would fail the coercion of the whole batch: it is this message's rejection.
      const rejection = 'rejection' in mapped ? mapped.rejection : uncoercible(mapped.event, eventType);
      if (rejection) {
        results[i] = { messageId, status: 'REJECTED', error: rejectionOf(rejection, type === 'batch' ? `batch[${i}]` : '') };
      } else if ('event' in mapped) {
        positions.push(i);
        events.push(mapped.event);
        const m = msg as Record<string, unknown>;
        if (m.timestamp == null && m.originalTimestamp == null && (mapped.event.interaction || mapped.event.order)) timedByReceipt.add(mapped.event);
      }
    });

    // A track, page or screen call whose sku is not in the catalogue is still a fact about the visitor:
    // Segment stores every well-formed message, and the sender's catalogue may be ahead of Rapport's. Such
    // an event is stored without a product (the sku stays in its properties) instead of being rejected;
    // an order still needs its products (order lines reference the catalogue).
    const skus = [...new Set(events.map((e) => e.interaction?.sku).filter((s): s is string => typeof s === 'string'))];
    try {
      if (skus.length) {
        const known = await opts.knownSkus(skus);
        for (const e of events) if (e.interaction && typeof e.interaction.sku === 'string' && !known.has(e.interaction.sku)) delete e.interaction.sku;
      }
      // A message without a time happened when it was received. Resent (a retry, a replay), it is the same
      // message received later: it takes the time its first receipt was recorded with, so that it answers
      // DUPLICATE, as a resend does, instead of a KEY_REUSED conflict over the receipt time.
      if (timedByReceipt.size) {
        const first = await opts.recordedTimes(source, [...timedByReceipt].map((e) => e.idempotencyKey));
        for (const e of timedByReceipt) {
          const at = first.get(e.idempotencyKey)?.toISOString();
          if (!at) continue;
          if (e.interaction) e.interaction.occurredAt = at;
          if (e.order) e.order.placedAt = at;
        }
      }
    } catch (err) {
      return isDatabaseUnavailable(err) ? fail(res, 503, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE) : fail(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }

    if (events.length) {
      const response = await opts.apollo.executeOperation({ query: INGEST, variables: { events } }, { contextValue: opts.createContext(viewer, res) });
      const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
      const error = result?.errors?.[0];
      if (!result || error || !result.data) {
        const code = String(error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        return fail(res, HTTP_STATUS[code] ?? 500, code, error?.message ?? 'Internal server error');
      }
      const answered = (result.data as { ingestEvents: { results: Array<{ index: number; status: TrackResult['status']; interactionId: string | null; orderId: string | null; error: TrackResult['error'] | null }> } }).ingestEvents.results;
      for (const r of answered) {
        const i = positions[r.index];
        results[i] = {
          messageId: events[r.index].idempotencyKey,
          status: r.status,
          interactionId: r.interactionId,
          orderId: r.orderId,
          // ingestEvents names fields under events[n]; the sender knows its message as batch[i] (or the body).
          ...(r.error ? { error: { ...r.error, field: r.error.field?.replace(/^events\[\d+\]\.?/, type === 'batch' ? `batch[${i}].` : '').replace(/\.$/, '') ?? null } } : {}),
        };
      }
    }
    // As Segment's API does: 200 once the request was taken, whatever each message's fate; a rejected
    // message would be rejected again, so a client must not retry it (the per-message results say why).
    res.status(200).json({ success: true, results });
  };

  router.use('/v1', cors, plainIsJson, (req, res, next) => (req.method === 'POST' ? opts.intake(req, res, next) : next()));
  for (const t of [...MESSAGE_TYPES, 'batch'] as const) router.post(`/v1/${t}`, handle(t));
  for (const [short, t] of Object.entries(SHORT_PATHS)) router.post(`/v1/${short}`, handle(t));
  // analytics.js' own delivery metrics: accepted and dropped (nothing of a customer in them).
  router.post('/v1/m', (_req, res) => res.status(200).json({ success: true }));

  // Settings that point analytics.js at this server (no destinations, no remote plugins).
  router.get('/v1/projects/:writeKey/settings', cors, (req, res) => {
    const apiHost = `${req.get('host')}/v1`;
    res.json({
      integrations: { 'Segment.io': { apiKey: req.params.writeKey, apiHost, protocol: req.protocol, unbundledIntegrations: [], addBundledMetadata: false } },
      plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } } },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    });
  });
  router.get('/analytics.js/v1/:writeKey/analytics.min.js', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.sendFile(path.join(bundles, 'standalone.js'));
  });
  router.use('/analytics-next/bundles', express.static(bundles, { index: false, fallthrough: false, maxAge: '1d' }));
  return router;
}

/**
 * Why `event` cannot be an IngestEventInput value (null when it can): what GraphQL's coercion of the
 * variables would refuse (answering the whole request 400) and what the input sanity check would
 * (NUL, lone surrogates), with the field it is in.
 */
function uncoercible(event: IngestEventVariables, type: GraphQLInputType): MappingRejection | null {
  let found: MappingRejection | null = null;
  coerceInputValue(event, type, (path, _value, error) => {
    found ??= { code: 'BAD_USER_INPUT', field: path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, ''), message: error.message };
  });
  if (found) return found;
  const unstorable = checkVariable(event, type, '');
  return unstorable ? { code: 'BAD_USER_INPUT', field: String(unstorable.extensions.field ?? ''), message: unstorable.message } : null;
}

function rejectionOf(r: MappingRejection, prefix: string): NonNullable<TrackResult['error']> {
  const field = [prefix, r.field].filter(Boolean).join('.') || null;
  return { code: r.code, message: r.message, field, reason: null };
}
