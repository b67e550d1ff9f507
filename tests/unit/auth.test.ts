import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { SignJWT, decodeJwt, exportJWK, type JWK } from 'jose';
import pg from 'pg';
import { ADMIN_URL_DEFAULT } from '../helpers/pg';
import {
  accessKnownNow, accessibleCustomers, canAccessCustomer, consentKey, hasConsent, visibleOrNull, writableCustomerId,
} from '../../src/auth/access';
import { createJwtVerifier, signToken, viewerFromClaims } from '../../src/auth/jwt';
import {
  DEV_PSEUDONYM_KEY, Keyring, defaultKeyring, macSql, parsePseudonymKeys, plainDigest, plainDigestSql,
} from '../../src/auth/pseudonyms';
import { ANY_CONTACT_CONSENT, EMAIL_CONSENT, PHONE_CONSENT, Scope, THIRD_PARTY_SHARING } from '../../src/auth/policy';
import { actorOf, AuditRecorder, withActor } from '../../src/auth/audit';
import { authenticate } from '../../src/auth/authenticate';
import { Role, STAFF_ROLES, type Viewer } from '../../src/auth/viewer';
import { DomainError, ErrorCode } from '../../src/errors/domain-error';
import { toGlobalId } from '../../src/schema/global-id';
import type { Context } from '../../src/context';
import type { Logger } from '../../src/logger';
import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Unit-level checks of src/auth (mutation scope `auth`, stryker.config.mjs): the decisions each
 * function makes, value by value. What each role gets from the served schema is proven over HTTP by
 * tests/authz (privacy, field matrix, root operations); these run in milliseconds, so that a mutation
 * run can afford them per mutant.
 */

const A = 'c0000000-0000-4000-8000-00000000000a';
const B = 'c0000000-0000-4000-8000-00000000000b';

/** A context whose consent loader answers from a table and records what it was asked. */
function ctxWith(viewer: Viewer | null | undefined, consents: Record<string, string> = {}) {
  const asked: string[] = [];
  const ctx = {
    viewer: viewer ?? undefined,
    loaders: { consentStatus: { load: async (key: string) => { asked.push(key); return consents[key] ?? null; } } },
  } as unknown as Context;
  return { ctx, asked };
}
const staffViewer = (role: Role): Viewer => ({ role, subject: role });
const customerA: Viewer = { role: Role.CUSTOMER, subject: 'a@example.com', customerId: A };
const partner = (scopes: Scope[] = [Scope.CUSTOMERS_READ]): Viewer => ({ role: Role.PARTNER, subject: 'api-key:p', apiKeyId: 'k1', scopes });

async function caught(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
const domain = (e: unknown) => ({ name: (e as Error).constructor.name, code: (e as DomainError).code, message: (e as Error).message, details: (e as DomainError).details });

describe('object-level access (access.ts)', () => {
  it('staff see every customer, a customer only themselves, nobody nothing, a partner is undecided', () => {
    for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST]) expect(accessKnownNow({ viewer: staffViewer(role) }, A)).toBe(true);
    expect(accessKnownNow({ viewer: customerA }, A)).toBe(true);
    expect(accessKnownNow({ viewer: customerA }, B)).toBe(false);
    expect(accessKnownNow({ viewer: customerA }, undefined)).toBe(false);
    expect(accessKnownNow({ viewer: { role: Role.CUSTOMER, subject: 'x' } }, undefined)).toBe(false);
    expect(accessKnownNow({} as Pick<Context, "viewer">, A)).toBe(false);
    expect(accessKnownNow({ viewer: partner() }, A)).toBeUndefined();
  });

  it('a partner sees a customer exactly when third-party sharing is granted, looked up under its key', async () => {
    const key = `${A}|third_party_sharing|any`;
    for (const [status, expected] of [['granted', true], ['denied', false], ['withdrawn', false], [undefined, false]] as const) {
      const { ctx, asked } = ctxWith(partner(), status ? { [key]: status } : {});
      expect(await canAccessCustomer(ctx, A)).toBe(expected);
      expect(asked).toEqual([key]);
    }
    const { ctx, asked } = ctxWith(staffViewer(Role.SUPPORT));
    expect(await canAccessCustomer(ctx, A)).toBe(true);
    expect(asked).toEqual([]);
    expect(await canAccessCustomer(ctxWith(customerA).ctx, B)).toBe(false);
  });

  it('consent keys and any-of consent needs', async () => {
    expect(consentKey(A, THIRD_PARTY_SHARING)).toBe(`${A}|third_party_sharing|any`);
    expect(THIRD_PARTY_SHARING).toEqual({ purpose: 'third_party_sharing', channel: 'any' });
    const sms = `${A}|sms_marketing|sms`;
    const phone = `${A}|phone_marketing|phone`;
    let { ctx, asked } = ctxWith(staffViewer(Role.MARKETING), { [phone]: 'granted', [sms]: 'denied' });
    expect(await hasConsent(ctx, A, PHONE_CONSENT)).toBe(true);
    expect(asked).toEqual([sms, phone]);
    ({ ctx } = ctxWith(staffViewer(Role.MARKETING), { [phone]: 'withdrawn', [sms]: 'denied' }));
    expect(await hasConsent(ctx, A, PHONE_CONSENT)).toBe(false);
    ({ ctx } = ctxWith(staffViewer(Role.MARKETING), { [`${A}|email_marketing|email`]: 'granted' }));
    expect(await hasConsent(ctx, A, EMAIL_CONSENT)).toBe(true);
    expect(await hasConsent(ctx, A, PHONE_CONSENT)).toBe(false);
    expect(await hasConsent(ctx, A, ANY_CONTACT_CONSENT)).toBe(true);
  });

  it('the consent needs name the marketing purposes and channels', () => {
    expect(EMAIL_CONSENT.anyOf).toEqual([{ purpose: 'email_marketing', channel: 'email' }]);
    expect(PHONE_CONSENT.anyOf).toEqual([{ purpose: 'sms_marketing', channel: 'sms' }, { purpose: 'phone_marketing', channel: 'phone' }]);
    expect(ANY_CONTACT_CONSENT.anyOf).toEqual([...EMAIL_CONSENT.anyOf, ...PHONE_CONSENT.anyOf]);
  });

  it('visibleOrNull answers null for a missing or invisible object, the object otherwise', async () => {
    const obj = { customer: A };
    expect(await visibleOrNull(ctxWith(customerA).ctx, null as { customer: string } | null, (o) => o.customer)).toBeNull();
    expect(await visibleOrNull(ctxWith(customerA).ctx, obj, (o) => o.customer)).toBe(obj);
    expect(await visibleOrNull(ctxWith(customerA).ctx, { customer: B }, (o) => o.customer)).toBeNull();
    const product = { name: 'no customer' };
    expect(await visibleOrNull(ctxWith(partner()).ctx, product, () => undefined)).toBe(product);
  });

  it('writableCustomerId: the id of a visible customer; an invisible one is NOT_FOUND, a wrong id BAD_USER_INPUT', async () => {
    expect(await writableCustomerId(ctxWith(customerA).ctx, toGlobalId('Customer', A), 'input.customerId')).toBe(A);
    expect(domain(await caught(writableCustomerId(ctxWith(customerA).ctx, toGlobalId('Customer', B), 'input.customerId')))).toEqual({
      name: 'DomainError', code: ErrorCode.NOT_FOUND, message: 'customer not found', details: { field: 'customerId' },
    });
    expect(domain(await caught(writableCustomerId(ctxWith(customerA).ctx, toGlobalId('Order', A), 'input.customerId')))).toEqual({
      name: 'DomainError', code: ErrorCode.BAD_USER_INPUT, message: 'input.customerId is not a valid Customer id', details: { argumentName: 'input.customerId' },
    });
  });

  it('accessibleCustomers keeps exactly the visible ids', async () => {
    const { ctx } = ctxWith(partner(), { [`${B}|third_party_sharing|any`]: 'granted' });
    expect([...(await accessibleCustomers(ctx, [A, B]))]).toEqual([B]);
    expect([...(await accessibleCustomers(ctxWith(customerA).ctx, [A, B]))]).toEqual([A]);
  });
});

describe('bearer tokens (jwt.ts)', () => {
  const secret = 'unit-test-secret-unit-test-secret';
  const verify = createJwtVerifier({ secret });
  const unauth = (message: string) => ({ name: 'DomainError', code: ErrorCode.UNAUTHENTICATED, message, details: {} });

  it('a signed staff token gives its role and subject, a customer token its customer', async () => {
    expect(await verify(await signToken(secret, { sub: 'ann', role: Role.SUPPORT }))).toEqual({ role: Role.SUPPORT, subject: 'ann' });
    expect(await verify(await signToken(secret, { sub: 'ada', role: Role.CUSTOMER, customerId: toGlobalId('Customer', A) }))).toEqual({ role: Role.CUSTOMER, subject: 'ada', customerId: A });
  });

  it('refuses other secrets, other algorithms, no expiry, and no configuration', async () => {
    expect(domain(await caught(verify(await signToken('another-secret', { sub: 'ann', role: Role.ADMIN }))))).toEqual(unauth('invalid or expired token'));
    const hs512 = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setSubject('ann').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    expect(domain(await caught(verify(hs512)))).toEqual(unauth('invalid or expired token'));
    const noExp = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').sign(new TextEncoder().encode(secret));
    expect(domain(await caught(verify(noExp)))).toEqual(unauth('invalid or expired token'));
    const expired = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').setExpirationTime(Math.floor(Date.now() / 1000) - 120).sign(new TextEncoder().encode(secret));
    expect(domain(await caught(verify(expired)))).toEqual(unauth('invalid or expired token'));
    expect(domain(await caught(createJwtVerifier({})('x.y.z')))).toEqual(unauth('bearer tokens are not configured on this server'));
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createJwtVerifier({ secret, issuer: 'https://idp', audience: 'rapport' });
    expect(await strict(await signToken(secret, { sub: 'ann', role: Role.ADMIN }, '1h', { issuer: 'https://idp', audience: 'rapport' }))).toEqual({ role: Role.ADMIN, subject: 'ann' });
    expect(domain(await caught(strict(await signToken(secret, { sub: 'ann', role: Role.ADMIN }, '1h', { issuer: 'https://other', audience: 'rapport' }))))).toEqual(unauth('invalid or expired token'));
    expect(domain(await caught(strict(await signToken(secret, { sub: 'ann', role: Role.ADMIN }, '1h', { issuer: 'https://idp', audience: 'other' }))))).toEqual(unauth('invalid or expired token'));
    expect(domain(await caught(strict(await signToken(secret, { sub: 'ann', role: Role.ADMIN }, '1h'))))).toEqual(unauth('invalid or expired token'));
  });

  it('signToken sets exactly the claims given', async () => {
    const plain = decodeJwt(await signToken(secret, { sub: 'ann', role: Role.ANALYST }, '2h'));
    expect(Object.keys(plain).sort()).toEqual(['exp', 'iat', 'role', 'sub']);
    expect(plain.exp! - plain.iat!).toBe(7200);
    const full = decodeJwt(await signToken(secret, { sub: 'ada', role: Role.CUSTOMER, customerId: 'gid' }, '1h', { issuer: 'i', audience: 'a' }));
    expect({ role: full.role, sub: full.sub, customerId: full.customerId, iss: full.iss, aud: full.aud }).toEqual({ role: 'customer', sub: 'ada', customerId: 'gid', iss: 'i', aud: 'a' });
    const twelve = decodeJwt(await signToken(secret, { sub: 'ann', role: Role.ADMIN }));
    expect(twelve.exp! - twelve.iat!).toBe(12 * 3600);
  });

  it('caps the lifetime of a token when maxLifetimeSeconds is set', async () => {
    const token = await signToken(secret, { sub: 'ann', role: Role.ADMIN }, '2h');
    expect(domain(await caught(createJwtVerifier({ secret, maxLifetimeSeconds: 3600 })(token)))).toEqual(unauth('invalid or expired token'));
    expect(await createJwtVerifier({ secret, maxLifetimeSeconds: 3 * 3600 })(token)).toEqual({ role: Role.ADMIN, subject: 'ann' });
    // Exactly at the cap is allowed, a second over it is not (on a frozen clock, which jose reads too).
    jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'setInterval'] });
    try {
      const now = Math.floor(Date.now() / 1000);
      const atCap = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').setExpirationTime(now + 600).sign(new TextEncoder().encode(secret));
      expect(await createJwtVerifier({ secret, maxLifetimeSeconds: 600 })(atCap)).toEqual({ role: Role.ADMIN, subject: 'ann' });
      expect(domain(await caught(createJwtVerifier({ secret, maxLifetimeSeconds: 599 })(atCap)))).toEqual(unauth('invalid or expired token'));
    } finally {
      jest.useRealTimers();
    }
  });

  it('a token accepted once is accepted again only until its exp second, and each caller gets its own viewer', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'setInterval'] });
    try {
      const fresh = createJwtVerifier({ secret });
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ role: 'support' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').setExpirationTime(now + 60).sign(new TextEncoder().encode(secret));
      const first = await fresh(token);
      expect(first).toEqual({ role: Role.SUPPORT, subject: 'ann' });
      (first as { role: Role }).role = Role.ADMIN; // a caller changing its viewer changes nobody else's
      jest.setSystemTime(new Date((now + 59) * 1000));
      expect(await fresh(token)).toEqual({ role: Role.SUPPORT, subject: 'ann' });
      // At exp, as jose decides (exp <= now is expired), and after it: refused, although verified before.
      jest.setSystemTime(new Date((now + 60) * 1000));
      expect(domain(await caught(fresh(token)))).toEqual(unauth('invalid or expired token'));
      jest.setSystemTime(new Date((now + 30) * 1000));
      // The refusal dropped it: the token is verified afresh (and still valid at this earlier time).
      expect(await fresh(token)).toEqual({ role: Role.SUPPORT, subject: 'ann' });
      // A token that was refused once is not remembered as accepted.
      const other = await new SignJWT({ role: 'support' }).setProtectedHeader({ alg: 'HS256' }).setSubject('bob').setExpirationTime(now + 60).sign(new TextEncoder().encode('another-secret-another-secret-xx'));
      expect(domain(await caught(fresh(other)))).toEqual(unauth('invalid or expired token'));
      expect(domain(await caught(fresh(other)))).toEqual(unauth('invalid or expired token'));
    } finally {
      jest.useRealTimers();
    }
  });

  it('claims: subject, a known non-partner role, and a Customer id for customers', () => {
    const err = (claims: Record<string, unknown>) => { try { viewerFromClaims(claims); } catch (e) { return domain(e); } return 'accepted'; };
    expect(err({ role: 'admin' })).toEqual(unauth('token has no subject'));
    expect(err({ sub: '', role: 'admin' })).toEqual(unauth('token has no subject'));
    expect(err({ sub: 7, role: 'admin' })).toEqual(unauth('token has no subject'));
    expect(err({ sub: 's', role: 'root' })).toEqual(unauth('token has no valid role'));
    expect(err({ sub: 's', role: ['admin'] })).toEqual(unauth('token has no valid role'));
    expect(err({ sub: 's' })).toEqual(unauth('token has no valid role'));
    expect(err({ sub: 's', role: 'partner' })).toEqual(unauth('token has no valid role'));
    expect(err({ sub: 's', role: 'customer' })).toEqual(unauth('customer token has no valid customerId'));
    expect(err({ sub: 's', role: 'customer', customerId: 42 })).toEqual(unauth('customer token has no valid customerId'));
    expect(err({ sub: 's', role: 'customer', customerId: 'garbage' })).toEqual(unauth('customer token has no valid customerId'));
    expect(err({ sub: 's', role: 'customer', customerId: toGlobalId('Order', A) })).toEqual(unauth('customer token has no valid customerId'));
    for (const role of STAFF_ROLES) expect(viewerFromClaims({ sub: 's', role, customerId: toGlobalId('Customer', A) })).toEqual({ role, subject: 's' });
    expect(STAFF_ROLES).toEqual(['admin', 'support', 'marketing', 'analyst']);
    // The role claim's values are part of the token contract.
    expect(Object.values(Role)).toEqual(['admin', 'support', 'marketing', 'analyst', 'partner', 'customer']);
  });

  describe('keys from a JWKS URL', () => {
    let server: http.Server;
    let url: string;
    // One RSA key serves RS256 and PS256 (listed twice, by algorithm): RSA key generation is slow.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pairs = {
      RS256: rsa,
      PS256: rsa,
      ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      EdDSA: generateKeyPairSync('ed25519'),
    };
    beforeAll(async () => {
      const keys: JWK[] = [];
      for (const [alg, pair] of Object.entries(pairs)) keys.push({ ...(await exportJWK(pair.publicKey)), kid: alg, alg });
      server = http.createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys })); });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('accepts RS256, PS256, ES256 and EdDSA tokens, and no shared-secret token', async () => {
      const verifyJwks = createJwtVerifier({ jwksUrl: url, secret });
      for (const [alg, pair] of Object.entries(pairs)) {
        const token = await new SignJWT({ role: 'analyst' }).setProtectedHeader({ alg, kid: alg }).setSubject(`by-${alg}`).setExpirationTime('1h').sign(pair.privateKey);
        expect(await verifyJwks(token)).toEqual({ role: Role.ANALYST, subject: `by-${alg}` });
      }
      expect(domain(await caught(verifyJwks(await signToken(secret, { sub: 'ann', role: Role.ADMIN }))))).toEqual(unauth('invalid or expired token'));
    });
  });
});

describe('keyed pseudonyms (pseudonyms.ts)', () => {
  const K1 = 'k'.repeat(40);
  const K2 = 'second-key-second-key-second-key-2';
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('hex');
  const email = { kind: 'EMAIL', namespace: 'default', value: 'ada@example.com' };

  it('HMAC-SHA256 as RFC 4231 defines it', () => {
    const ring = new Keyring(['Jefe']);
    expect(ring.mac(ring.newest, 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('keys: newest first, each with a short public id; at least one', () => {
    const ring = new Keyring([K1, K2]);
    expect(ring.keys.map((k) => k.id)).toEqual([K1, K2].map((s) => createHash('sha256').update(`rapport-key-id:${s}`).digest('hex').slice(0, 12)));
    expect(ring.newest.secret.toString('utf8')).toBe(K1);
    expect(ring.keys[1].secret.toString('utf8')).toBe(K2);
    expect(() => new Keyring([])).toThrow('a keyring needs at least one key');
  });

  it('identifier digests: HMAC of the plain SHA-256, newest key to write, every key to match', () => {
    const plain = createHash('sha256').update('EMAIL:default:ada@example.com', 'utf8').digest('hex');
    expect(plainDigest(email)).toBe(plain);
    const ring = new Keyring([K1, K2]);
    expect(ring.identifierDigest(email)).toEqual({ digest: hmac(K1, plain), keyId: ring.keys[0].id });
    expect(ring.identifierDigests(email)).toEqual([hmac(K1, plain), hmac(K2, plain)]);
  });

  it('an actor pseudonym is a prefix of the HMAC of the subject under the newest key', () => {
    const ring = new Keyring([K1, K2]);
    expect(ring.actor('ann@example.com')).toBe(`sub:${hmac(K1, 'audit-actor:ann@example.com').slice(0, 32)}`);
    // Again (from the ring's memo), and for another subject its own.
    expect(ring.actor('ann@example.com')).toBe(`sub:${hmac(K1, 'audit-actor:ann@example.com').slice(0, 32)}`);
    expect(ring.actor('bob@example.com')).toBe(`sub:${hmac(K1, 'audit-actor:bob@example.com').slice(0, 32)}`);
  });

  it('SQL pads give the same HMAC, for short, 64-byte and long keys', () => {
    for (const secret of ['Jefe', 'x'.repeat(64), 'y'.repeat(65), 'z'.repeat(200)]) {
      const ring = new Keyring([secret]);
      const { opad, ipad } = ring.sqlPads(ring.newest);
      expect([opad.length, ipad.length]).toEqual([128, 128]);
      const inner = createHash('sha256').update(Buffer.concat([Buffer.from(ipad, 'hex'), Buffer.from('message')])).digest();
      const outer = createHash('sha256').update(Buffer.concat([Buffer.from(opad, 'hex'), inner])).digest('hex');
      expect(outer).toBe(hmac(secret, 'message'));
    }
  });

  it('the SQL forms compute the same digests in PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || ADMIN_URL_DEFAULT });
    await client.connect();
    try {
      const ring = new Keyring([K2]);
      const { opad, ipad } = ring.sqlPads(ring.newest);
      const { rows } = await client.query(
        `select ${plainDigestSql('$1::text', '$2::text', '$3::text')} as plain, ${macSql('$4', '$5', plainDigestSql('$1::text', '$2::text', '$3::text'))} as mac`,
        [email.kind, email.namespace, email.value, opad, ipad],
      );
      expect(rows[0].plain.toString('utf8')).toBe(plainDigest(email));
      expect(rows[0].mac).toBe(ring.identifierDigest(email).digest);
    } finally {
      await client.end();
    }
  });

  it('PSEUDONYM_KEYS: the development key only outside production, visible keys of 32 to 512 characters, no repeats', () => {
    expect(parsePseudonymKeys(undefined, false)).toEqual([DEV_PSEUDONYM_KEY]);
    expect(parsePseudonymKeys('  ', false)).toEqual([DEV_PSEUDONYM_KEY]);
    expect(() => parsePseudonymKeys(undefined, true)).toThrow('set PSEUDONYM_KEYS in production (README "Configuration")');
    expect(() => parsePseudonymKeys(' ', true)).toThrow('set PSEUDONYM_KEYS in production (README "Configuration")');
    const k32 = 'a'.repeat(32);
    const k512 = '~'.repeat(512);
    expect(parsePseudonymKeys(` ${k32}, ${k512}\n${K2},,`, true)).toEqual([k32, k512, K2]);
    const shape = 'PSEUDONYM_KEYS: each key must be 32 to 512 visible ASCII characters, keys separated by commas or spaces';
    expect(() => parsePseudonymKeys('a'.repeat(31), false)).toThrow(shape);
    expect(() => parsePseudonymKeys('a'.repeat(513), false)).toThrow(shape);
    expect(() => parsePseudonymKeys(`${'a'.repeat(31)}é`, false)).toThrow(shape);
    expect(() => parsePseudonymKeys(`${'a'.repeat(31)}\u007f`, false)).toThrow(shape);
    expect(() => parsePseudonymKeys(`${k32}é`, false)).toThrow(shape);
    expect(() => parsePseudonymKeys(`é${k32}`, false)).toThrow(shape);
    expect(parsePseudonymKeys(`x${k32}`, false)).toEqual([`x${k32}`]);
    // The development key is itself a valid key.
    expect(parsePseudonymKeys(DEV_PSEUDONYM_KEY, false)).toEqual([DEV_PSEUDONYM_KEY]);
    expect(DEV_PSEUDONYM_KEY).toMatch(/^[\x21-\x7e]{32,512}$/);
    expect(() => parsePseudonymKeys(`${k32} ${k32}`, false)).toThrow('PSEUDONYM_KEYS lists a key twice');
    expect(() => parsePseudonymKeys(`${k32},${DEV_PSEUDONYM_KEY}`, true)).toThrow('PSEUDONYM_KEYS: the development key may not be used in production');
    expect(parsePseudonymKeys(DEV_PSEUDONYM_KEY, false)).toEqual([DEV_PSEUDONYM_KEY]);
  });

  it('in production the environment keyring needs PSEUDONYM_KEYS', () => {
    const saved = { env: process.env.NODE_ENV, keys: process.env.PSEUDONYM_KEYS };
    try {
      process.env.NODE_ENV = 'production';
      delete process.env.PSEUDONYM_KEYS;
      jest.isolateModules(() => {
        const fresh = jest.requireActual<typeof import('../../src/auth/pseudonyms')>('../../src/auth/pseudonyms');
        expect(() => fresh.defaultKeyring()).toThrow('set PSEUDONYM_KEYS in production (README "Configuration")');
      });
    } finally {
      process.env.NODE_ENV = saved.env;
      if (saved.keys === undefined) delete process.env.PSEUDONYM_KEYS;
      else process.env.PSEUDONYM_KEYS = saved.keys;
    }
  });

  it('the environment keyring is built once', () => {
    const ring = defaultKeyring();
    expect(defaultKeyring()).toBe(ring);
    expect(ring.newest.id).toMatch(/^[0-9a-f]{12}$/);
    expect(ring.newest).toBe(ring.keys[0]);
  });
});

describe('who acted, and reads to audit (audit.ts)', () => {
  const ring = new Keyring(['audit-key-audit-key-audit-key-audit-key']);
  it('actorOf: system without a viewer, the actor once set, the key name for API keys, else the pseudonym', () => {
    expect(actorOf(null, ring)).toBe('system');
    expect(actorOf({ role: Role.ADMIN, subject: 'ann', actor: 'sub:preset' }, ring)).toBe('sub:preset');
    expect(actorOf(partner(), ring)).toBe('api-key:p');
    expect(actorOf({ role: Role.ADMIN, subject: 'ann@example.com' }, ring)).toBe(ring.actor('ann@example.com'));
    expect(withActor({ role: Role.SUPPORT, subject: 'sam' }, ring)).toEqual({ role: Role.SUPPORT, subject: 'sam', actor: ring.actor('sam') });
  });

  it('AuditRecorder counts customers, not fields', () => {
    const r = new AuditRecorder();
    expect(r.pendingReads).toBe(0);
    r.recordRead(A, 'Customer.email');
    r.recordRead(A, 'Customer.phone');
    r.recordRead(A, 'Customer.email');
    expect(r.pendingReads).toBe(1);
    r.recordRead(B, 'Customer.email');
    expect(r.pendingReads).toBe(2);
  });
});

describe('authenticate.ts: credentials to a viewer or an HTTP error', () => {
  const errors: Array<[unknown, string]> = [];
  const logger = { error: (obj: unknown, msg: string) => errors.push([obj, msg]) } as unknown as Logger;
  // An API key of the wrong shape is refused before any lookup: the ORM is never reached.
  const orm = { em: { fork: () => ({}) } } as unknown as MikroORM;
  const ann: Viewer = { role: Role.ADMIN, subject: 'ann' };
  const seen: string[] = [];
  const verifyJwt = async (t: string) => { seen.push(t); if (t === 'good') return ann; if (t === 'boom') throw new Error('bug'); if (t === 'down') throw Object.assign(new Error('x'), { code: 'ECONNREFUSED' }); throw new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid or expired token'); };
  const gql = (e: unknown) => ({ type: e instanceof GraphQLError, message: (e as Error).message, extensions: (e as GraphQLError).extensions });
  const unauth = (message: string) => ({ type: true, message, extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

  beforeEach(() => { errors.length = 0; seen.length = 0; });

  it('no credentials: anonymous', async () => {
    expect(await authenticate(undefined, undefined, verifyJwt, orm, logger)).toBeNull();
    expect(await authenticate('', '', verifyJwt, orm, logger)).toBeNull();
  });

  it('a bearer token, any case of the scheme', async () => {
    expect(await authenticate('Bearer good', undefined, verifyJwt, orm, logger)).toBe(ann);
    expect(await authenticate('bearer   good', undefined, verifyJwt, orm, logger)).toBe(ann);
    expect(seen).toEqual(['good', 'good']);
  });

  it('bad or doubled credentials are 401', async () => {
    expect(gql(await caught(authenticate('Bearer good', 'rpk_x', verifyJwt, orm, logger)))).toEqual(unauth('send either a bearer token or an API key, not both'));
    expect(gql(await caught(authenticate('Basic abc', undefined, verifyJwt, orm, logger)))).toEqual(unauth('Authorization must be "Bearer <token>"'));
    expect(gql(await caught(authenticate('Bearer a b', undefined, verifyJwt, orm, logger)))).toEqual(unauth('Authorization must be "Bearer <token>"'));
    expect(gql(await caught(authenticate('xBearer good', undefined, verifyJwt, orm, logger)))).toEqual(unauth('Authorization must be "Bearer <token>"'));
    expect(gql(await caught(authenticate('Bearer good x', undefined, verifyJwt, orm, logger)))).toEqual(unauth('Authorization must be "Bearer <token>"'));
    expect(gql(await caught(authenticate('Bearer bad', undefined, verifyJwt, orm, logger)))).toEqual(unauth('invalid or expired token'));
    expect(gql(await caught(authenticate(undefined, 'not-a-key', verifyJwt, orm, logger)))).toEqual(unauth('invalid, expired or revoked API key'));
    expect(seen).toEqual(['bad']);
    expect(errors).toEqual([]);
  });

  it('our own failures are 500 or 503, logged, with no details', async () => {
    expect(gql(await caught(authenticate('Bearer boom', undefined, verifyJwt, orm, logger)))).toEqual({ type: true, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
    expect(gql(await caught(authenticate('Bearer down', undefined, verifyJwt, orm, logger)))).toEqual({
      type: true, message: 'the database is unavailable; nothing was changed, retry later', extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, http: { status: 503 } },
    });
    expect(errors.map(([obj, msg]) => [(obj as { err: Error }).err.message, msg])).toEqual([['bug', 'authentication failed unexpectedly'], ['x', 'authentication failed unexpectedly']]);
  });
});
