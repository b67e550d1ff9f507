import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';
import { MemoryStore, RedisStore, ipBucket } from '../../src/hardening/rate-limit';
import { createLogger } from '../../src/logger';
import { loadConfig } from '../../src/config';
import { bearer, post, tokenAs } from './helpers';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';
const LIMIT = 5;
const QUERY = { query: '{ __typename }' };
const run = randomBytes(4).toString('hex');
const logger = createLogger(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
});
afterAll(async () => {
  await app?.close();
});

/** Sends `n` requests one after another; returns their statuses. */
async function burst(url: string, n: number, headers: Record<string, string> = {}) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await post(url, QUERY, headers));
  return out;
}

describe('in memory (no REDIS_URL)', () => {
  it('answers 429 with Retry-After and a GraphQL-shaped RATE_LIMITED error past the limit', async () => {
    const headers = bearer(await tokenAs(Role.ADMIN, `burst-${run}`));
    const res = await burst(app.url, LIMIT + 2, headers);
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(res.slice(0, LIMIT).map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    const limited = res[LIMIT];
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(limited.headers.get('ratelimit-limit')).toBe(String(LIMIT));
    expect(limited.json).toEqual({
      errors: [{ message: `too many requests: the limit is ${LIMIT} per minute; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter, limit: LIMIT } }],
    });
  });

  it('counts per JWT subject: another subject, same role and IP, is not affected', async () => {
    const a = bearer(await tokenAs(Role.ADMIN, `a-${run}`));
    const b = bearer(await tokenAs(Role.ADMIN, `b-${run}`));
    await burst(app.url, LIMIT, a);
    expect((await post(app.url, QUERY, a)).status).toBe(429);
    expect((await post(app.url, QUERY, b)).status).toBe(200);
  });

  it('counts anonymous clients by IP, and a token that does not verify earns no bucket of its own', async () => {
    const anon = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    try {
      expect((await burst(anon.url, LIMIT)).every((r) => r.status === 200)).toBe(true);
      expect((await post(anon.url, QUERY)).status).toBe(429);
      // Forged tokens with fresh subjects: counted by IP like anonymous, so already limited (429, not 401).
      const forged = await import('../../src/auth/jwt').then((m) => m.signToken('another-secret-another-secret-another', { sub: `forged-${run}`, role: Role.ADMIN }));
      expect((await post(anon.url, QUERY, bearer(forged))).status).toBe(429);
      expect((await post(anon.url, QUERY, bearer('not.a.jwt'))).status).toBe(429);
      // A spoofed X-Forwarded-For changes nothing without TRUST_PROXY.
      expect((await post(anon.url, QUERY, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      // A valid token has its own bucket.
      expect((await post(anon.url, QUERY, bearer(await tokenAs(Role.ANALYST, `fresh-${run}`)))).status).toBe(200);
    } finally {
      await anon.close();
    }
  });

  it('counts API keys by their prefix; repeated bad keys from one IP are limited as a whole', async () => {
    const keys = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    try {
      const admin = bearer(await tokenAs(Role.ADMIN, `keys-admin-${run}`));
      const created = await post(keys.url, { query: 'mutation { createApiKey(input: { name: "rl", scopes: ["customers:read"] }) { secret } }' }, admin);
      const key = { 'x-api-key': created.json.data.createApiKey.secret as string };
      expect((await burst(keys.url, LIMIT, key)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect((await post(keys.url, QUERY, key)).status).toBe(429);
      // Random well-formed keys are not verified: they are counted against the IP, whose window the
      // real key's first (not yet verified) request opened; past it they are limited as a whole.
      const fake = () => ({ 'x-api-key': `rpk_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}` });
      const statuses = [];
      for (let i = 0; i < LIMIT + 2; i++) statuses.push((await post(keys.url, QUERY, fake())).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429]);
    } finally {
      await keys.close();
    }
  });

  it("a wrong secret under a partner's public prefix is counted against the sender's IP, never against the partner's key", async () => {
    const keys = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: 'loopback' });
    try {
      const admin = { ...bearer(await tokenAs(Role.ADMIN, `victim-admin-${run}`)), 'x-forwarded-for': '198.51.100.7' };
      const created = await post(keys.url, { query: 'mutation { createApiKey(input: { name: "victim", scopes: ["customers:read"] }) { secret } }' }, admin);
      const secret = created.json.data.createApiKey.secret as string;
      const victim = { 'x-api-key': secret, 'x-forwarded-for': '198.51.100.8' };
      expect((await post(keys.url, QUERY, victim)).status).toBe(200);
      // The attacker knows the public prefix (it is shown in listings and logs) but not the secret.
      const prefix = secret.slice(0, 'rpk_'.length + 12);
      const forged = () => ({ 'x-api-key': `${prefix}_${randomBytes(32).toString('base64url')}`, 'x-forwarded-for': '203.0.113.66' });
      const attack = [];
      for (let i = 0; i < 3 * LIMIT; i++) attack.push((await post(keys.url, QUERY, forged())).status);
      expect(attack.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(attack.slice(LIMIT).every((s) => s === 429)).toBe(true);
      // The partner's own key still has its whole window left (one request spent above).
      const after = await burst(keys.url, LIMIT - 1, victim);
      expect(after.map((r) => r.status)).toEqual(Array(LIMIT - 1).fill(200));
      expect((await post(keys.url, QUERY, victim)).status).toBe(429);
    } finally {
      await keys.close();
    }
  });

  it('trusts X-Forwarded-For only with TRUST_PROXY', async () => {
    const proxied = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'loopback' });
    try {
      expect((await post(proxied.url, QUERY, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
      expect((await post(proxied.url, QUERY, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
      expect((await post(proxied.url, QUERY, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
      // IPv6 clients are counted per /64: another address in the same /64 shares the window.
      expect((await post(proxied.url, QUERY, { 'x-forwarded-for': '2001:db8:1:2::1' })).status).toBe(200);
      expect((await post(proxied.url, QUERY, { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it('RATE_LIMIT_PER_MINUTE=0 (the test default) turns it off', async () => {
    const off = await startTestApp();
    try {
      const res = await burst(off.url, 20);
      expect(res.every((r) => r.status === 200 && r.headers.get('ratelimit-limit') === null)).toBe(true);
    } finally {
      await off.close();
    }
  });

  it('MemoryStore: a window resets after its length, and expired windows are swept', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    try {
      expect(await store.hit('k', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
      now += 59_999;
      expect(await store.hit('k', 60_000)).toEqual({ count: 2, resetMs: 1 });
      now += 1;
      expect(await store.hit('k', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
      await store.hit('other', 1_000);
      now += 1_000;
      store.sweep();
      expect(store.size).toBe(1);
      expect(await store.peek('other')).toEqual({ count: 0, resetMs: 0 });
    } finally {
      await store.close();
    }
  });

  it('ipBucket: IPv4 as is (also mapped), IPv6 by /64', () => {
    expect(ipBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('2001:0db8:0000:0000:abcd::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('::1')).toBe('0:0:0:0::/64');
    expect(ipBucket(undefined)).toBe('unknown');
  });
});

describe('Redis-backed (REDIS_URL)', () => {
  let reachable = false;
  beforeAll(async () => {
    const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
    probe.on('error', () => {});
    reachable = await probe.connect().then(() => true, () => false);
    probe.disconnect();
    // The machine this project runs on has Redis on 127.0.0.1:6379; say so loudly when it is missing.
    // In CI a missing Redis is a failure: a suite that skips these tests must not pass as if it had run them.
    if (!reachable && process.env.CI === 'true') throw new Error(`Redis not reachable at ${REDIS_URL} and CI=true: the Redis rate-limit tests cannot run`);
    if (!reachable) console.warn(`Redis not reachable at ${REDIS_URL}: the Redis rate-limit tests did not run`); // eslint-disable-line no-console
  });

  it('counts atomically under concurrency, expires with the window', async () => {
    if (!reachable) return;
    const store = new RedisStore(REDIS_URL, logger, `rapport:test:${run}:`);
    try {
      expect(await store.ready()).toBe(true);
      const counts = await Promise.all(Array.from({ length: 200 }, () => store.hit('concurrent', 60_000)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(counts.every((c) => c.resetMs > 0 && c.resetMs <= 60_000)).toBe(true);
      expect(await store.peek('concurrent')).toMatchObject({ count: 200 });
      await store.hit('short', 300);
      expect((await store.hit('short', 300)).count).toBe(2);
      await new Promise((r) => setTimeout(r, 400));
      expect((await store.hit('short', 300)).count).toBe(1);
      // Nothing readable is stored: keys are the prefix and a digest or a fixed name.
      const keys = await store.redis.keys(`rapport:test:${run}:*`);
      expect(keys.sort()).toEqual([`rapport:test:${run}:concurrent`, `rapport:test:${run}:short`]);
      await store.redis.del(...keys);
    } finally {
      await store.close();
    }
  });

  it('shares the counts between two instances, and stores no subject in clear', async () => {
    if (!reachable) return;
    const [one, two] = await Promise.all([
      startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT), REDIS_URL }),
      startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT), REDIS_URL }),
    ]);
    try {
      const subject = `shared-${run}`;
      const headers = bearer(await tokenAs(Role.SUPPORT, subject));
      const statuses = [];
      for (let i = 0; i < LIMIT + 1; i++) statuses.push((await post(i % 2 ? two.url : one.url, QUERY, headers)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await post(one.url, QUERY, headers);
      expect(limited.status).toBe(429);
      expect(limited.json.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const redis = new Redis(REDIS_URL);
      try {
        const keys = await redis.keys('rapport:rl:*');
        expect(keys.some((k) => k.includes(subject))).toBe(false);
      } finally {
        redis.disconnect();
      }
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('fails open when Redis is down: requests go through, nothing crashes', async () => {
    const down = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: 'redis://127.0.0.1:1/0' });
    try {
      const res = await burst(down.url, 3);
      expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      await down.close();
    }
  });
});
