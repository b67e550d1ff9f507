import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import type Redis from 'ioredis';
import { connectRedis } from '../redis-client';
import type { Logger } from '../logger';
import type { Viewer } from '../auth/viewer';
import { sendGraphQLError } from './http';

/**
 * Fixed-window rate limits per client: at most `limit` requests per window (a minute), counted per
 * key. The key is derived from the raw headers in an Express middleware that runs before the body
 * is read and before Apollo (so a limited client costs neither JSON parsing nor a database look-up):
 *
 * - a bearer token that verifies (signature, expiry, claims): its subject, `jwt:<sub>`;
 * - an `X-API-Key: rpk_<prefix>_<secret>` that this instance saw verified recently (the full key, by
 *   digest): its public prefix, `key:<prefix>`. A key not verified yet counts against the client IP
 *   like an anonymous request, never against the prefix it names: a wrong secret under someone
 *   else's public prefix must not spend that partner's window. The secret is checked later (one
 *   database look-up, `markApiKeyVerified` then remembers the key, and counts that first request
 *   against it too); every 401 answer also counts against the client IP (`fail:<ip>`), and an IP over
 *   the limit there is refused any unverified key;
 * - anything else (anonymous, malformed or bad token): the client IP (`ip:<addr>`; IPv6 per /64).
 *
 * Keys are stored as SHA-256 digests (no subject or address in Redis). With `REDIS_URL` the counts
 * live in Redis (one atomic Lua INCR + PEXPIRE), shared by every instance; otherwise in memory.
 * If Redis fails, requests are let through (fail open) and the failure is logged.
 */

export interface Hit {
  count: number;
  /** Milliseconds until this key's window resets. */
  resetMs: number;
}

export interface RateLimitStore {
  /** Counts one request for `key` and returns the count in the current window. */
  hit(key: string, windowMs: number): Promise<Hit>;
  /** The count in the current window without counting. */
  peek(key: string): Promise<Hit>;
  close(): Promise<void>;
}

export class MemoryStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now, sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  async hit(key: string, windowMs: number): Promise<Hit> {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetMs: w.resetAt - now };
  }

  async peek(key: string): Promise<Hit> {
    const now = this.now();
    const w = this.windows.get(key);
    return !w || w.resetAt <= now ? { count: 0, resetMs: 0 } : { count: w.count, resetMs: w.resetAt - now };
  }

  /** Drops expired windows so that the map holds only the keys seen in the last window. */
  sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }

  get size(): number {
    return this.windows.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

// Atomic: the first hit of a window sets its expiry; a key somehow left without one gets it back.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

export class RedisStore implements RateLimitStore {
  readonly redis: Redis;

  constructor(url: string, private readonly logger: Logger, private readonly prefix = 'rapport:rl:') {
    this.redis = connectRedis(url, {
      // Never queue or retry for long: a slow Redis must not slow every request (we fail open).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 250,
      connectTimeout: 2000,
      // ioredis leaves this timer running after disconnect() from a refused connection.
      disconnectTimeout: 200,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    });
    let lastLog = 0;
    this.redis.on('error', (err) => {
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        logger.warn({ err }, 'rate limit store (Redis) unavailable: requests are not limited meanwhile');
      }
    });
    this.redis.defineCommand('rapportHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  /** Waits (up to `ms`, or the first connection error) for the connection; the server starts either way. */
  async ready(ms = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), ms);
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        resolve(ok);
      };
      const onReady = () => done(true);
      const onError = () => done(false);
      this.redis.on('ready', onReady);
      this.redis.on('error', onError);
    });
  }

  async hit(key: string, windowMs: number): Promise<Hit> {
    const [count, ttl] = (await (this.redis as unknown as { rapportHit(k: string, w: number): Promise<[number, number]> }).rapportHit(this.prefix + key, windowMs));
    return { count: Number(count), resetMs: Number(ttl) };
  }

  async peek(key: string): Promise<Hit> {
    const [[, count], [, ttl]] = ((await this.redis.multi().get(this.prefix + key).pttl(this.prefix + key).exec()) ?? [[null, null], [null, -2]]) as Array<[unknown, unknown]>;
    return { count: Number(count ?? 0), resetMs: Math.max(0, Number(ttl)) };
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through
      }
    }
    this.redis.disconnect();
  }
}

/** The address a client is counted by: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function ipBucket(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

const API_KEY_RE = /^rpk_([a-z0-9]{12})_[A-Za-z0-9_-]{43}$/;
const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 32);

export interface ClientKey {
  /** What the key is derived from: for the logs and tests, never the raw value. */
  kind: 'jwt' | 'api-key' | 'ip';
  key: string;
  ip: string;
  /** A well-formed API key: its own bucket, the digest of the whole key, and whether it was seen verified (else counted as `ip`). */
  apiKey?: { key: string; digest: string; verified: boolean };
}

/**
 * API keys (by digest of the whole key) that authenticated on this instance lately. Bounded: the
 * oldest entry goes first; a forgotten key is simply counted against its IP once more.
 */
export class VerifiedKeys {
  private readonly until = new Map<string, number>();

  constructor(private readonly ttlMs = 10 * 60_000, private readonly max = 10_000, private readonly now: () => number = Date.now) {}

  has(digest: string): boolean {
    const t = this.until.get(digest);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(digest);
    return false;
  }

  add(digest: string): void {
    this.until.delete(digest);
    this.until.set(digest, this.now() + this.ttlMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  delete(digest: string): void {
    this.until.delete(digest);
  }
}

/** Called once the request's API key authenticated (server.ts): the rate limit may count it against the key. */
export function markApiKeyVerified(res: Response): void {
  res.locals.rapportApiKeyVerified = true;
}

/** Derives the rate-limit key from the raw request (see the module comment). */
export async function clientKeyOf(req: Request, verifyJwt: (token: string) => Promise<Viewer>, verified?: VerifiedKeys): Promise<ClientKey> {
  const ip = ipBucket(req.ip ?? req.socket.remoteAddress);
  const auth = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (auth && !apiKey) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (m) {
      try {
        const viewer = await verifyJwt(m[1]);
        return { kind: 'jwt', key: `jwt:${digest(viewer.subject)}`, ip };
      } catch {
        // A token that does not verify earns no bucket of its own.
      }
    }
  } else if (typeof apiKey === 'string' && !auth) {
    const m = API_KEY_RE.exec(apiKey.trim());
    if (m) {
      const key = `key:${digest(m[1])}`;
      const whole = digest(m[0]);
      if (verified?.has(whole)) return { kind: 'api-key', key, ip, apiKey: { key, digest: whole, verified: true } };
      return { kind: 'ip', key: `ip:${digest(ip)}`, ip, apiKey: { key, digest: whole, verified: false } };
    }
  }
  return { kind: 'ip', key: `ip:${digest(ip)}`, ip };
}

export interface RateLimitOptions {
  /** Requests per window per key; 0 turns limiting off. */
  limit: number;
  windowMs?: number;
  store: RateLimitStore;
  verifyJwt: (token: string) => Promise<Viewer>;
  logger: Logger;
  /** API keys seen verified (tests pass their own). */
  verified?: VerifiedKeys;
}

/**
 * Express middleware: answers 429 with `Retry-After` and a GraphQL-shaped error
 * (`extensions.code: RATE_LIMITED`) once a key is over its limit; sets `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on every answer it lets through.
 */
export function rateLimit({ limit, windowMs = 60_000, store, verifyJwt, logger, verified = new VerifiedKeys() }: RateLimitOptions): RequestHandler {
  return async (req, res, next) => {
    if (!limit) return next();
    let client: ClientKey;
    let hit: Hit;
    try {
      client = await clientKeyOf(req, verifyJwt, verified);
      if (client.apiKey && !client.apiKey.verified) {
        const failures = await store.peek(`fail:${digest(client.ip)}`);
        if (failures.count >= limit) return tooMany(failures, client);
      }
      hit = await store.hit(client.key, windowMs);
    } catch (err) {
      logger.warn({ err }, 'rate limit check failed: request let through');
      return next();
    }
    const apiKey = client.apiKey;
    if (apiKey) {
      res.once('finish', () => {
        if (res.statusCode === 401) {
          verified.delete(apiKey.digest);
          store.hit(`fail:${digest(client.ip)}`, windowMs).catch(() => {});
        } else if (!apiKey.verified && res.locals.rapportApiKeyVerified) {
          // Verified now: from here on the key has its own window, which this request counts in too.
          verified.add(apiKey.digest);
          store.hit(apiKey.key, windowMs).catch(() => {});
        }
      });
    }
    const resetSeconds = Math.max(1, Math.ceil(hit.resetMs / 1000));
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - hit.count)));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (hit.count > limit) return tooMany(hit, client);
    return next();

    function tooMany(h: Hit, c: ClientKey) {
      const retryAfter = Math.max(1, Math.ceil(h.resetMs / 1000));
      logger.info({ kind: c.kind, limit, retryAfter }, 'rate limited');
      res.setHeader('Retry-After', String(retryAfter));
      res.setHeader('RateLimit-Limit', String(limit));
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('RateLimit-Reset', String(retryAfter));
      sendGraphQLError(res, 429, 'RATE_LIMITED', `too many requests: the limit is ${limit} per ${windowMs === 60_000 ? 'minute' : `${windowMs / 1000} s`}; retry in ${retryAfter} s`, { retryAfter, limit });
    }
  };
}
