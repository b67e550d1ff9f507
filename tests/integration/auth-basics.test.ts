import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer } from '../helpers/fixtures';
import { CustomerByIdDocument, UpsertCustomerDocument } from '../generated/graphql';
import { Role } from '../../src/auth/viewer';
import { signToken } from '../../src/auth/jwt';

let app: TestApp;
let customerId: string;
beforeAll(async () => {
  app = await startTestApp();
  customerId = (await makeCustomer(app)).id;
});
afterAll(async () => {
  await app?.close();
});

it('answers UNAUTHENTICATED without a token, and no personal data', async () => {
  const res = await app.gql(CustomerByIdDocument, { id: customerId }, { role: null });
  expect(res.data?.customer ?? null).toBeNull();
  expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(JSON.stringify(res)).not.toContain('@example.com');
});

it('rejects a forged, expired or role-less token with HTTP 401', async () => {
  const forged = await signToken('another-secret-another-secret-another', { sub: 'x', role: Role.ADMIN });
  const expired = await signToken('test-secret-that-is-at-least-32-characters-long', { sub: 'x', role: Role.ADMIN }, '-1m');
  for (const token of [forged, expired, 'not.a.jwt']) {
    const res = await app.gql(CustomerByIdDocument, { id: customerId }, { token });
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  }
});

it('denies roles without access, and a denied mutation changes nothing', async () => {
  for (const role of [Role.ANALYST, Role.MARKETING]) {
    const read = await app.gql(CustomerByIdDocument, { id: customerId }, { role });
    expect(read.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(read)).not.toContain('@example.com');
  }
  const before = await databaseDigest(app);
  const write = await app.gql(UpsertCustomerDocument, { input: { email: 'intruder@example.com' } }, { role: Role.ANALYST });
  expect(write.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await databaseDigest(app)).toBe(before);
});
