import { startTestApp, type TestApp } from '../helpers/test-server';
import { toGlobalId } from '../../src/schema/global-id';
import { Role } from '../../src/auth/viewer';
import { makeCustomer } from '../helpers/fixtures';

/**
 * rotateApiKey through the real HTTP server: the new secret works, the old one works only during the
 * grace period asked for (none by default), the key keeps its id, prefix and scopes, and a revoked key
 * cannot be rotated back to life.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const CREATE = 'mutation($name: String!) { createApiKey(input: { name: $name, scopes: ["customers:read"] }) { apiKey { id prefix } secret } }';
const ROTATE = 'mutation($id: ID!, $grace: Int) { rotateApiKey(id: $id, gracePeriodSeconds: $grace) { secret apiKey { id prefix scopes rotatedAt previousSecretExpiresAt } } }';

/** The HTTP status of a request made with the key (200: accepted, 401: refused). */
async function statusWith(key: string): Promise<number> {
  const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }) });
  await res.text();
  return res.status;
}

async function createKey(name: string): Promise<{ id: string; prefix: string; secret: string }> {
  const res = await app.gql(CREATE, { name });
  expect(res.errors).toBeUndefined();
  return { ...res.data.createApiKey.apiKey, secret: res.data.createApiKey.secret };
}

it('without a grace period the old secret is refused at once and the new one works', async () => {
  const key = await createKey('rotate-now');
  expect(await statusWith(key.secret)).toBe(200);
  const res = await app.gql(ROTATE, { id: key.id });
  expect(res.errors).toBeUndefined();
  const rotated = res.data.rotateApiKey;
  expect(rotated.apiKey).toMatchObject({ id: key.id, prefix: key.prefix, scopes: ['customers:read'], previousSecretExpiresAt: null });
  expect(rotated.apiKey.rotatedAt).toEqual(expect.any(String));
  expect(rotated.secret).not.toBe(key.secret);
  expect(rotated.secret.startsWith(`rpk_${key.prefix}_`)).toBe(true);
  expect(await statusWith(key.secret)).toBe(401);
  expect(await statusWith(rotated.secret)).toBe(200);
});

it('with a grace period both secrets work until it ends, then only the new one', async () => {
  const key = await createKey('rotate-grace');
  const res = await app.gql(ROTATE, { id: key.id, grace: 3600 });
  expect(res.errors).toBeUndefined();
  const { secret, apiKey } = res.data.rotateApiKey;
  const until = Date.parse(apiKey.previousSecretExpiresAt) - Date.parse(apiKey.rotatedAt);
  expect(until).toBe(3600 * 1000);
  expect(await statusWith(key.secret)).toBe(200);
  expect(await statusWith(secret)).toBe(200);
  // The grace period ending (moved into the past rather than waited for): the old secret is refused.
  await app.sql(`update api_keys set previous_secret_expires_at = now() - interval '1 second' where prefix = ?`, [key.prefix]);
  expect(await statusWith(key.secret)).toBe(401);
  expect(await statusWith(secret)).toBe(200);
});

it('rotating again during a grace period ends the older secret at once', async () => {
  const key = await createKey('rotate-twice');
  const first = (await app.gql(ROTATE, { id: key.id, grace: 3600 })).data.rotateApiKey.secret;
  const second = (await app.gql(ROTATE, { id: key.id, grace: 3600 })).data.rotateApiKey.secret;
  expect(await statusWith(key.secret)).toBe(401);
  expect(await statusWith(first)).toBe(200);
  expect(await statusWith(second)).toBe(200);
});

it('revoking a rotated key refuses both its secrets, and a revoked key cannot be rotated', async () => {
  const key = await createKey('rotate-revoke');
  const next = (await app.gql(ROTATE, { id: key.id, grace: 3600 })).data.rotateApiKey.secret;
  expect((await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: key.id })).errors).toBeUndefined();
  expect(await statusWith(key.secret)).toBe(401);
  expect(await statusWith(next)).toBe(401);
  const before = await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix]);
  const res = await app.gql(ROTATE, { id: key.id });
  expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  expect(res.errors?.[0].message).toBe('a revoked key cannot be rotated; create a new one');
  expect(await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix])).toEqual(before);
});

it.each([
  ['a negative grace period', -1, 'BAD_USER_INPUT'],
  ['a grace period over a week', 7 * 24 * 3600 + 1, 'BAD_USER_INPUT'],
])('refuses %s and changes nothing', async (_name, grace, code) => {
  const key = await createKey(`rotate-bad-${grace}`);
  const before = await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix]);
  const res = await app.gql(ROTATE, { id: key.id, grace });
  expect(res.errors?.[0].extensions).toMatchObject({ code, field: 'gracePeriodSeconds' });
  expect(res.errors?.[0].message).toBe('gracePeriodSeconds must be a whole number from 0 to 604800');
  expect(await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix])).toEqual(before);
  expect(await statusWith(key.secret)).toBe(200);
});

it('takes a grace period of exactly a week; without one it keeps no previous secret at all', async () => {
  const week = await createKey('rotate-week');
  const res = await app.gql(ROTATE, { id: week.id, grace: 7 * 24 * 3600 });
  expect(res.errors).toBeUndefined();
  expect(await statusWith(week.secret)).toBe(200);
  const none = await createKey('rotate-zero');
  expect((await app.gql(ROTATE, { id: none.id, grace: 0 })).errors).toBeUndefined();
  expect(await app.sql('select previous_secret_hash, previous_secret_expires_at from api_keys where prefix = ?', [none.prefix]))
    .toEqual([{ previous_secret_hash: null, previous_secret_expires_at: null }]);
});

it('two rotations at once are applied one after the other: the secret of the first is the previous one', async () => {
  for (let round = 0; round < 3; round++) {
    const key = await createKey(`rotate-concurrent-${round}`);
    const [a, b] = await Promise.all([app.gql(ROTATE, { id: key.id, grace: 3600 }), app.gql(ROTATE, { id: key.id, grace: 3600 })]);
    expect([a.errors, b.errors]).toEqual([undefined, undefined]);
    // Whichever ran second kept the other's secret as its previous one; the original is gone.
    expect(await statusWith(a.data.rotateApiKey.secret)).toBe(200);
    expect(await statusWith(b.data.rotateApiKey.secret)).toBe(200);
    expect(await statusWith(key.secret)).toBe(401);
  }
});

it('answers NOT_FOUND for a missing key, and refuses every role but admin', async () => {
  const missing = toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000');
  const gone = (await app.gql(ROTATE, { id: missing })).errors?.[0];
  expect(gone?.extensions?.code).toBe('NOT_FOUND');
  expect(gone?.message).toMatch(/^api key /);
  const key = await createKey('rotate-roles');
  for (const role of [Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
    expect((await app.gql(ROTATE, { id: key.id }, { role })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
  const partner = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.secret }, body: JSON.stringify({ query: ROTATE, variables: { id: key.id } }) });
  expect(((await partner.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await statusWith(key.secret)).toBe(200);
});

describe('creating, using and revoking keys', () => {
  const CREATE_WITH = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id prefix name scopes expiresAt revokedAt } secret } }';
  const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }';
  /** last_used_at in epoch milliseconds (null: never used). */
  const lastUsed = async (prefix: string) => (await app.sql<{ t: number | null }>('select (extract(epoch from last_used_at) * 1000)::float8 t from api_keys where prefix = ?', [prefix]))[0].t;

  it('gives a key of the documented form, its scopes once each and sorted, and one audit row', async () => {
    const auditedBefore = await app.sql<{ n: number }>(`select count(*)::int n from audit_log where operation = 'createApiKey'`);
    const res = await app.gql(CREATE_WITH, { input: { name: '  Partner shop  ', scopes: ['orders:read', 'customers:read', 'orders:read'] } });
    expect(res.errors).toBeUndefined();
    const { apiKey, secret } = res.data.createApiKey;
    expect(apiKey).toMatchObject({ name: 'Partner shop', scopes: ['customers:read', 'orders:read'], expiresAt: null, revokedAt: null });
    expect(apiKey.prefix).toMatch(/^[a-z0-9]{12}$/);
    expect(secret).toMatch(new RegExp(`^rpk_${apiKey.prefix}_[A-Za-z0-9_-]{43}$`));
    // Only a digest of the secret part is stored.
    const [row] = await app.sql<{ secret_hash: string }>('select secret_hash from api_keys where prefix = ?', [apiKey.prefix]);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.secret_hash).not.toContain(secret.slice(-43));
    const audited = await app.sql<{ action: string; role: string; api_key_id: string | null; customer_id: string | null }>(
      `select action, role, api_key_id, customer_id from audit_log where operation = 'createApiKey' and at >= now() - interval '1 minute'`);
    expect(audited).toContainEqual({ action: 'WRITE', role: 'admin', api_key_id: null, customer_id: null });
    expect(await app.sql(`select count(*)::int n from audit_log where operation = 'createApiKey'`)).toEqual([{ n: auditedBefore[0].n + 1 }]);
  });

  it.each([
    ['a blank name', { name: '   ', scopes: ['customers:read'] }, 'name'],
    ['a name over 100 characters', { name: 'x'.repeat(101), scopes: ['customers:read'] }, 'name'],
    ['no scope', { name: 'x', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'x', scopes: ['customers:read', 'customers:write'] }, 'scopes'],
    ['an expiry now or past', { name: 'x', scopes: ['customers:read'], expiresAt: new Date(Date.now() - 1000).toISOString() }, 'expiresAt'],
  ])('refuses %s (BAD_USER_INPUT on its field) and creates nothing', async (_what, input, field) => {
    const before = await app.sql('select count(*)::int n from api_keys');
    const res = await app.gql(CREATE_WITH, { input });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(res.errors?.[0].message).toMatch(/\S{3}/);
    expect(await app.sql('select count(*)::int n from api_keys')).toEqual(before);
  });

  it('names the known scopes when one is unknown, and says a key needs one', async () => {
    const unknown = await app.gql(CREATE_WITH, { input: { name: 'x', scopes: ['customers:write'] } });
    expect(unknown.errors?.[0].message).toBe('unknown scope "customers:write" (known: customers:read, customers:contact, orders:read, interactions:read, feedback:read, events:write, profiles:write)');
    expect((await app.gql(CREATE_WITH, { input: { name: 'x', scopes: [] } })).errors?.[0].message).toBe('a key needs at least one scope');
  });

  it('takes the key with surrounding white space, and refuses any other change to its form', async () => {
    const key = await createKey('key-forms');
    const [, prefix, secretPart] = /^rpk_([a-z0-9]{12})_(.{43})$/.exec(key.secret)!;
    expect(await statusWith(`  ${key.secret}\t`)).toBe(200);
    for (const wrong of [
      `x${key.secret}`, `${key.secret}x`, `rpk_${prefix.toUpperCase()}_${secretPart}`, `rpk_${prefix}_${secretPart.slice(1)}`,
      `rpk_${prefix.slice(1)}_${secretPart}`, `rpk-${prefix}_${secretPart}`, `rpk_${prefix}-${secretPart}`,
      `rpk_${prefix}_${secretPart.slice(0, -1)}${secretPart.endsWith('A') ? 'B' : 'A'}`,
    ]) {
      expect([wrong, await statusWith(wrong)]).toEqual([wrong, 401]);
    }
    // Well formed, but no key has that prefix: refused the same way, with the same message.
    expect(await statusWith(`rpk_${'z'.repeat(12)}_${secretPart}`)).toBe(401);
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `rpk_${'z'.repeat(12)}_${secretPart}` }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(((await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors[0]).toMatchObject({ message: 'invalid, expired or revoked API key', extensions: { code: 'UNAUTHENTICATED' } });
    expect(await statusWith(key.secret)).toBe(200);
  });

  it('refuses an expired key', async () => {
    const key = await createKey('key-expiry');
    await app.sql(`update api_keys set expires_at = now() + interval '1 hour' where prefix = ?`, [key.prefix]);
    expect(await statusWith(key.secret)).toBe(200);
    await app.sql(`update api_keys set expires_at = now() - interval '1 second' where prefix = ?`, [key.prefix]);
    expect(await statusWith(key.secret)).toBe(401);
  });

  it('records when a key was last used, rewriting it at most once a minute', async () => {
    const key = await createKey('key-last-used');
    expect(await lastUsed(key.prefix)).toBeNull();
    expect(await statusWith(key.secret)).toBe(200);
    const first = await lastUsed(key.prefix);
    expect(first).toEqual(expect.any(Number));
    // Used 30 seconds ago: not rewritten.
    await app.sql(`update api_keys set last_used_at = now() - interval '30 seconds' where prefix = ?`, [key.prefix]);
    const recent = await lastUsed(key.prefix);
    expect(await statusWith(key.secret)).toBe(200);
    expect(await lastUsed(key.prefix)).toEqual(recent);
    // Used two minutes ago: rewritten to now.
    await app.sql(`update api_keys set last_used_at = now() - interval '2 minutes' where prefix = ?`, [key.prefix]);
    const old = (await lastUsed(key.prefix))!;
    expect(await statusWith(key.secret)).toBe(200);
    expect((await lastUsed(key.prefix))!).toBeGreaterThan(old + 60_000);
    // A refused secret with a real prefix does not count as a use.
    await app.sql(`update api_keys set last_used_at = now() - interval '2 minutes' where prefix = ?`, [key.prefix]);
    const before = await lastUsed(key.prefix);
    expect(await statusWith(`rpk_${key.prefix}_${'A'.repeat(43)}`)).toBe(401);
    expect(await lastUsed(key.prefix)).toEqual(before);
  });

  it('keeps the expiry it was given', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await app.gql(CREATE_WITH, { input: { name: 'key-expires', scopes: ['customers:read'], expiresAt } });
    expect(res.errors).toBeUndefined();
    expect(res.data.createApiKey.apiKey.expiresAt).toBe(expiresAt);
    expect(await app.sql('select expires_at is not null as set from api_keys where prefix = ?', [res.data.createApiKey.apiKey.prefix])).toEqual([{ set: true }]);
  });

  it('acts as api-key:<its name>, with its id, in the audit log', async () => {
    const res = await app.gql(CREATE_WITH, { input: { name: 'audited partner', scopes: ['events:write'] } });
    const { apiKey, secret } = res.data.createApiKey;
    const customer = await makeCustomer(app);
    const ingest = await fetch(app.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': secret },
      body: JSON.stringify({
        query: 'mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { acceptedCount results { error { code message } } } }',
        variables: { events: [{ kind: 'INTERACTION', idempotencyKey: `audited-${Date.now()}`, source: 'partner', identifiers: [{ kind: 'EMAIL', value: customer.email }],
          interaction: { occurredAt: '2026-03-01T10:00:00.000Z', channel: 'WEB', type: 'PAGE_VIEW' } }] },
      }),
    });
    expect(((await ingest.json()) as { data: { ingestEvents: unknown } }).data.ingestEvents).toEqual({ acceptedCount: 1, results: [{ error: null }] });
    const dbKeyId = Buffer.from(apiKey.id, 'base64url').toString().split(':')[1];
    expect(await app.sql(`select actor, role, action from audit_log where api_key_id = ?`, [dbKeyId]))
      .toEqual([{ actor: 'api-key:audited partner', role: 'partner', action: 'WRITE' }]);
  });

  it('revoking twice keeps the first revocation time; a missing key is NOT_FOUND', async () => {
    const key = await createKey('key-revoke-twice');
    const first = (await app.gql(REVOKE, { id: key.id })).data.revokeApiKey.revokedAt;
    expect(first).toEqual(expect.any(String));
    const again = await app.gql(REVOKE, { id: key.id });
    expect(again.errors).toBeUndefined();
    expect(again.data.revokeApiKey.revokedAt).toBe(first);
    expect(await statusWith(key.secret)).toBe(401);
    const gone = (await app.gql(REVOKE, { id: toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000') })).errors?.[0];
    expect(gone?.extensions?.code).toBe('NOT_FOUND');
    expect(gone?.message).toMatch(/^api key /);
  });
});
