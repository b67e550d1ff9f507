import { startTestApp, type TestApp } from '../helpers/test-server';
import { asViewer, createAuthzFixtures, VIEWERS, type AuthzFixtures, type PersonFixture, type ViewerSpec } from './fixtures';
import { EXPECTED_QUERIES, EXPECTED_TYPES, type ExpectedAccess, type ExpectedGrant, type RoleName } from './access-expectations';
import { PATHS, probeQuery } from './probes';

/**
 * The role × field matrix, through the real HTTP server: every field of every customer-owned type,
 * for every role (and partner scope set), on a customer who consents to everything and one who
 * consents to nothing. The expected answer comes from the reviewed, hand-written expectations
 * (access-expectations.ts), never from src/auth/policy.ts: a wrong grant in the policy fails here.
 */

type Outcome = { kind: 'allowed' } | { kind: 'null-root' } | { kind: 'error'; at: string[]; code: string; reason?: string };

function grantHolds(v: ViewerSpec, grant: ExpectedGrant | undefined, person: PersonFixture): string | null {
  if (!grant) return 'ROLE';
  if (grant === true) return null;
  if ('scope' in grant) return (v.scopes as string[] | undefined)?.includes(grant.scope) ? null : 'SCOPE';
  const ok = { email: person.consents.email, phone: person.consents.phone, 'any-contact': person.consents.email || person.consents.phone }[grant.consent];
  return ok ? null : 'NO_CONSENT';
}

/** The per-field expectations of a type (types with a whole-type rule have no probe path here). */
const typeFields = (type: string) => EXPECTED_TYPES[type] as Record<string, ExpectedAccess>;

function mayReachCustomer(v: ViewerSpec, person: PersonFixture, f: AuthzFixtures): boolean {
  if (v.role === 'customer') return f[v.self!] === person;
  if (v.role === 'partner') return person.consents.sharing;
  return true;
}

function expected(v: ViewerSpec, type: string, field: string, person: PersonFixture, f: AuthzFixtures): Outcome {
  if (!v.role) return { kind: 'error', at: ['customer'], code: 'UNAUTHENTICATED' };
  const role = v.role as RoleName;
  const root = grantHolds(v, EXPECTED_QUERIES.customer[role], person);
  if (root) return { kind: 'error', at: ['customer'], code: 'FORBIDDEN', reason: root };
  if (!mayReachCustomer(v, person, f)) return { kind: 'null-root' };
  const at = ['customer'];
  for (const [t, step] of [...PATHS[type], [type, field] as [string, string]]) {
    at.push(step);
    const reason = grantHolds(v, typeFields(t)[step]?.[role], person);
    if (reason) return { kind: 'error', at, code: 'FORBIDDEN', reason };
  }
  return { kind: 'allowed' };
}

let app: TestApp;
let f: AuthzFixtures;
beforeAll(async () => {
  app = await startTestApp();
  f = await createAuthzFixtures(app);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

// Types reachable only through lists that are empty for these fixtures (offers: Offer, Campaign,
// NextBestOffer) have no path here; tests/integration/offers.test.ts probes them per role on real offers.
const FIELDS = Object.keys(PATHS).flatMap((type) => Object.keys(typeFields(type)).map((field) => [type, field] as const));
const PEOPLE = ['consenting', 'private'] as const;

describe.each(VIEWERS.map((v) => [v.name, v] as const))('%s', (_name, viewer) => {
  it.each(PEOPLE)(`reads exactly what the expectations allow of every field of the %s customer (${FIELDS.length} fields)`, async (who) => {
    const person = f[who];
    const others = who === 'consenting' ? f.private : f.consenting;
    const mismatches: string[] = [];
    for (const [type, field] of FIELDS) {
      const want = expected(viewer, type, field, person, f);
      const res = await asViewer(app, f, viewer, probeQuery(type, field), { id: person.id });
      const body = JSON.stringify(res);
      const label = `${type}.${field}`;
      const errs = res.errors ?? [];
      // Whatever the outcome, another customer's data never appears.
      for (const value of others.pii) if (body.includes(value)) mismatches.push(`${label}: leaked another customer's "${value}"`);
      if (want.kind === 'allowed') {
        if (errs.length) mismatches.push(`${label}: expected allowed, got ${JSON.stringify(errs.map((e) => [e.path, e.extensions?.code, e.extensions?.reason]))}`);
        else if (res.data?.customer == null) mismatches.push(`${label}: expected data, got null customer`);
      } else if (want.kind === 'null-root') {
        if (errs.length || res.data?.customer !== null) mismatches.push(`${label}: expected customer: null (invisible), got ${body.slice(0, 200)}`);
        for (const value of person.pii) if (body.includes(value)) mismatches.push(`${label}: leaked "${value}"`);
      } else {
        const hit = errs.find((e) => JSON.stringify((e.path ?? []).filter((p) => typeof p === 'string' && p !== 'nodes')) === JSON.stringify(want.at));
        if (!hit || hit.extensions?.code !== want.code || (want.reason && hit.extensions?.reason !== want.reason)) {
          mismatches.push(`${label}: expected ${want.code}/${want.reason ?? ''} at ${want.at.join('.')}, got ${JSON.stringify(errs.map((e) => [e.path, e.extensions?.code, e.extensions?.reason]))}`);
        }
        // A denied personal-data field never carries its value.
        const deniedField = want.at[want.at.length - 1];
        if (['email', 'phone', 'firstName', 'lastName', 'birthDate', 'address', 'traits', 'identities', 'text', 'properties'].includes(deniedField)) {
          for (const value of person.pii) if (body.includes(value)) mismatches.push(`${label}: denied but leaked "${value}"`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

it('probes every field the served schema exposes on the types it has a path to, and each of them has an expectation', async () => {
  const res = await app.gql(`{ __schema { types { name kind fields { name } } } }`);
  const types = res.data.__schema.types as Array<{ name: string; kind: string; fields: Array<{ name: string }> | null }>;
  const missing: string[] = [];
  for (const type of Object.keys(PATHS)) {
    const t = types.find((x) => x.name === type);
    if (!t) missing.push(`${type} (not served)`);
    for (const { name } of t?.fields ?? []) if (!typeFields(type)?.[name]) missing.push(`${type}.${name}`);
  }
  expect(missing).toEqual([]);
  // Every served object type is stated in the expectations (the static checks are access-expectations.test.ts).
  const unstated = types.filter((t) => t.kind === 'OBJECT' && !t.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(t.name) && !EXPECTED_TYPES[t.name]);
  expect(unstated.map((t) => t.name)).toEqual([]);
});
