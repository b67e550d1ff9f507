import { GraphQLError } from 'graphql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { authenticateApiKey } from './api-keys';
import type { Viewer } from './viewer';
import type { Logger } from '../logger';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { isDatabaseUnavailable, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE } from '../errors/format-error';

/**
 * Bearer JWT (staff, customers) or X-API-Key (partners). Neither: anonymous, and every guarded field
 * answers UNAUTHENTICATED. A bad credential, or both at once: HTTP 401.
 * Used by the HTTP endpoint (headers) and by WebSocket subscriptions (connection params).
 */
export async function authenticate(header: string | undefined, apiKey: string | undefined, verifyJwt: (t: string) => Promise<Viewer>, orm: MikroORM, logger: Logger): Promise<Viewer | null> {
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
    if (isDatabaseUnavailable(e)) {
      throw new GraphQLError(UNAVAILABLE_MESSAGE, { extensions: { code: SERVICE_UNAVAILABLE, retryable: true, http: { status: 503 } } });
    }
    throw new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
  }
}
