import { startTestApp, type TestApp } from '../helpers/test-server';
import { toGlobalId } from '../../src/schema/global-id';
import { Role } from '../../src/auth/viewer';

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
  expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix])).toEqual(before);
});

it.each([
  ['a negative grace period', -1, 'BAD_USER_INPUT'],
  ['a grace period over a week', 7 * 24 * 3600 + 1, 'BAD_USER_INPUT'],
])('refuses %s and changes nothing', async (_name, grace, code) => {
  const key = await createKey(`rotate-bad-${grace}`);
  const before = await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix]);
  const res = await app.gql(ROTATE, { id: key.id, grace });
  expect(res.errors?.[0].extensions?.code).toBe(code);
  expect(await app.sql(`select secret_hash, previous_secret_hash, rotated_at from api_keys where prefix = ?`, [key.prefix])).toEqual(before);
  expect(await statusWith(key.secret)).toBe(200);
});

it('answers NOT_FOUND for a missing key, and refuses every role but admin', async () => {
  const missing = toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000');
  expect((await app.gql(ROTATE, { id: missing })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  const key = await createKey('rotate-roles');
  for (const role of [Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
    expect((await app.gql(ROTATE, { id: key.id }, { role })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
  const partner = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.secret }, body: JSON.stringify({ query: ROTATE, variables: { id: key.id } }) });
  expect(((await partner.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await statusWith(key.secret)).toBe(200);
});
