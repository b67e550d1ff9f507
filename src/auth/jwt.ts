import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { fromGlobalId } from '../schema/global-id';
import { Role, type Viewer } from './viewer';

export interface JwtConfig {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Refuse a token valid for longer than this from now (seconds); tokens without `exp` are always refused. */
  maxLifetimeSeconds?: number;
}

const ROLES = new Set<string>(Object.values(Role));

/** Verifies bearer tokens: HS256 with a shared secret (development, simple set-ups) or keys from a JWKS URL. */
export function createJwtVerifier(cfg: JwtConfig) {
  const key: Uint8Array | JWTVerifyGetKey | undefined = cfg.jwksUrl
    ? createRemoteJWKSet(new URL(cfg.jwksUrl))
    : cfg.secret
      ? new TextEncoder().encode(cfg.secret)
      : undefined;
  const algorithms = cfg.jwksUrl ? ['RS256', 'ES256', 'EdDSA', 'PS256'] : ['HS256'];

  return async function verify(token: string): Promise<Viewer> {
    if (!key) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'bearer tokens are not configured on this server');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, { algorithms, issuer: cfg.issuer, audience: cfg.audience, requiredClaims: ['exp'] }));
    } catch {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid or expired token');
    }
    // A token that never expires, or only in months, outlives any revocation: its lifetime is capped.
    if (cfg.maxLifetimeSeconds && payload.exp! - Math.floor(Date.now() / 1000) > cfg.maxLifetimeSeconds) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid or expired token');
    }
    return viewerFromClaims(payload);
  };
}

export function viewerFromClaims(payload: JWTPayload): Viewer {
  const role = payload.role;
  if (typeof payload.sub !== 'string' || !payload.sub) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'token has no subject');
  if (typeof role !== 'string' || !ROLES.has(role) || role === Role.PARTNER) {
    // Partners authenticate with API keys, never with tokens.
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'token has no valid role');
  }
  if (role === Role.CUSTOMER) {
    const parsed = typeof payload.customerId === 'string' ? fromGlobalId(payload.customerId) : null;
    if (!parsed || parsed.type !== 'Customer') throw new DomainError(ErrorCode.UNAUTHENTICATED, 'customer token has no valid customerId');
    return { role: Role.CUSTOMER, subject: payload.sub, customerId: parsed.id };
  }
  return { role: role as Role, subject: payload.sub };
}

/** Mints a token (development helper, tests, and `npm run token`). */
export async function signToken(secret: string, claims: { sub: string; role: Role; customerId?: string }, expiresIn = '12h', opts: { issuer?: string; audience?: string } = {}): Promise<string> {
  let jwt = new SignJWT({ role: claims.role, ...(claims.customerId ? { customerId: claims.customerId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
