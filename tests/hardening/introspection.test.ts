import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { bearer, post } from './helpers';

let off: TestApp;
let staff: TestApp;
let on: TestApp;
let partnerKey: string;
let customerId: string;
beforeAll(async () => {
  [off, staff, on] = await Promise.all([startTestApp({ INTROSPECTION: 'off' }), startTestApp({ INTROSPECTION: 'staff' }), startTestApp({ INTROSPECTION: 'on' })]);
  customerId = (await makeCustomer(staff)).id;
  const created = await staff.gql(`mutation { createApiKey(input: { name: "introspection-test", scopes: ["customers:read"] }) { secret } }`);
  partnerKey = created.data.createApiKey.secret;
});
afterAll(async () => {
  await Promise.all([off?.close(), staff?.close(), on?.close()]);
});

const SCHEMA = '{ __schema { queryType { name } } }';
const TYPE = '{ __type(name: "Customer") { name } }';
const HIDDEN_IN_FRAGMENT = 'query { ...F } fragment F on Query { __schema { types { name } } }';

async function as(app: TestApp, who: Role | 'anonymous' | 'partner', query: string) {
  const headers: Record<string, string> =
    who === 'anonymous' ? {} : who === 'partner' ? { 'x-api-key': partnerKey } : bearer(await app.tokenFor(who, who === Role.CUSTOMER ? customerId : undefined));
  return post(app.url, { query }, headers);
}

function expectRefused(res: Awaited<ReturnType<typeof post>>) {
  expect(res.status).toBe(400);
  expect(res.json.data).toBeUndefined();
  expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(res.json.errors[0].message).toMatch(/introspection/i);
}

it('INTROSPECTION=off: nobody, not even an admin', async () => {
  for (const q of [SCHEMA, TYPE, HIDDEN_IN_FRAGMENT]) {
    expectRefused(await as(off, 'anonymous', q));
    expectRefused(await as(off, Role.ADMIN, q));
  }
});

it('INTROSPECTION=staff: admin, support, marketing and analyst only', async () => {
  for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
    for (const q of [SCHEMA, TYPE, HIDDEN_IN_FRAGMENT]) {
      const res = await as(staff, role, q);
      expect({ role, status: res.status, errors: res.json.errors }).toEqual({ role, status: 200, errors: undefined });
    }
  }
  for (const who of ['anonymous', 'partner', Role.CUSTOMER] as const) {
    for (const q of [SCHEMA, TYPE, HIDDEN_IN_FRAGMENT]) expectRefused(await as(staff, who, q));
  }
  // A partner's ordinary query still works (the refusal is about introspection only).
  const ok = await as(staff, 'partner', '{ products(first: 1) { totalCount } }');
  expect(ok.json.errors).toBeUndefined();
});

it('an anonymous or bad-token client cannot tell off from staff', async () => {
  const a = await as(off, 'anonymous', SCHEMA);
  const b = await as(staff, 'anonymous', SCHEMA);
  expect(a.status).toBe(b.status);
  expect(a.json.errors).toEqual(b.json.errors);
  expect(a.json.errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' });
});

it('INTROSPECTION=on: everyone; __typename is open in every mode', async () => {
  expect((await as(on, 'anonymous', SCHEMA)).json.data.__schema.queryType.name).toBe('Query');
  for (const app of [off, staff, on]) {
    const res = await as(app, 'anonymous', '{ __typename }');
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ __typename: 'Query' });
  }
});
