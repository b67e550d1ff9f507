import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';

/**
 * README "Consent": the decision in force is the customer's newest, by when they decided
 * (`recordedAt`, which a write may give for a decision captured earlier), not by when Rapport was
 * told. A grant the customer gave a month ago, synced late from another system, must not undo the
 * withdrawal they made today.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const SET = `mutation($i: SetConsentInput!) { setConsent(input: $i) { id status } }`;
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

it('a decision recorded late with an earlier recordedAt does not override a later one, in every check', async () => {
  const c = await makeCustomer(app);
  const consent = (status: string, recordedAt?: string) =>
    app.gql(SET, { i: { customerId: c.id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status, source: 'test', policyVersion: '1', ...(recordedAt ? { recordedAt } : {}) } });
  expect((await consent('GRANTED', daysAgo(60))).errors).toBeUndefined();
  expect((await consent('WITHDRAWN')).errors).toBeUndefined(); // today: the customer's last word
  expect((await consent('GRANTED', daysAgo(30))).errors).toBeUndefined(); // an older grant, synced late

  const current = await app.gql(`query($id: ID!) { customer(id: $id) { consents { current { purpose channel status } } } }`, { id: c.id });
  expect(current.data.customer.consents.current).toEqual([{ purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'WITHDRAWN' }]);

  // Marketing's contact fields and targeting filter follow the decision in force.
  const read = await app.gql(`query($id: ID!) { customer(id: $id) { email } }`, { id: c.id }, { role: Role.MARKETING });
  expect(read.data.customer.email).toBeNull();
  expect(read.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NO_CONSENT' });
  const targeted = await app.gql(`{ customers(first: 100, filter: { consent: { purpose: EMAIL_MARKETING, channel: EMAIL } }) { nodes { id } } }`, {}, { role: Role.MARKETING });
  expect(targeted.errors).toBeUndefined();
  expect(targeted.data.customers.nodes.map((n: { id: string }) => n.id)).not.toContain(c.id);
  const [{ status }] = await app.sql<{ status: string }>(`select rapport_consent_status(?, 'email_marketing', 'email') as status`, [Buffer.from(c.id, 'base64url').toString().split(':')[1]]);
  expect(status).toBe('withdrawn');

  // A newer decision (now) wins again.
  expect((await consent('GRANTED')).errors).toBeUndefined();
  const again = await app.gql(`query($id: ID!) { customer(id: $id) { email consents { current { status } } } }`, { id: c.id }, { role: Role.MARKETING });
  expect(again.errors).toBeUndefined();
  expect(again.data.customer).toEqual({ email: c.email, consents: { current: [{ status: 'GRANTED' }] } });
});
