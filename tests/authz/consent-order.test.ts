import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { consentInForceOrder } from '../../src/entities/consent-record.entity';

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

describe('consent_records_current_idx (Migration20261206193000)', () => {
  const key = ['customer_id', 'purpose', 'channel'];

  it('is in the in-force order: (customer, purpose, channel) then consentInForceOrder', async () => {
    const [{ def }] = await app.sql<{ def: string }>(`select indexdef def from pg_indexes where indexname = 'consent_records_current_idx'`);
    const columns = def.slice(def.indexOf('(') + 1, def.lastIndexOf(')')).toLowerCase();
    expect(columns).toBe([...key, consentInForceOrder()].join(', '));
  });

  it('lets rapport_consent_status read one record for the channel and one for ANY, however many there are', async () => {
    const c = await makeCustomer(app);
    const id = Buffer.from(c.id, 'base64url').toString().split(':')[1];
    // 200 decisions per channel, the newest (by recordedAt) withdrawn on EMAIL and granted on ANY.
    await app.sql(
      `insert into consent_records (customer_id, purpose, channel, status, source, policy_version, recorded_at)
       select ?, 'email_marketing', ch, case when n = 200 then (case ch when 'email' then 'withdrawn' else 'granted' end) else 'granted' end, 'test', '1',
              now() - interval '1 day' * (400 - n) - case ch when 'any' then interval '0' else interval '1 hour' end
       from unnest(array['email', 'any']) ch, generate_series(1, 200) n`, [id]);
    const [{ status }] = await app.sql<{ status: string }>(`select rapport_consent_status(?, 'email_marketing', 'email') as status`, [id]);
    expect(status).toBe('granted'); // ANY's newest is an hour newer than EMAIL's withdrawal
    // The function's own statement (from the catalogue), planned and run as the function runs it.
    const [{ src }] = await app.sql<{ src: string }>(`select prosrc src from pg_proc where proname = 'rapport_consent_status'`);
    const body = src.replace(/\bp_customer\b/g, '$1::uuid').replace(/\bp_purpose\b/g, '$2::text').replace(/\bp_channel\b/g, '$3::text');
    const em = app.orm.em.fork();
    const rows = await em.transactional(async (tem) => {
      const conn = tem.getConnection();
      await conn.execute(`prepare consent_status_probe as ${body}`);
      await conn.execute(`set local plan_cache_mode = force_generic_plan`);
      const plan = await conn.execute(`explain (analyze, costs off, timing off, summary off, format json) execute consent_status_probe('${id}', 'email_marketing', 'email')`);
      await conn.execute('deallocate consent_status_probe');
      return plan;
    });
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (n: Record<string, unknown>) => {
      nodes.push(n);
      for (const child of (n.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
    };
    walk((rows[0] as { 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> })['QUERY PLAN'][0].Plan);
    const scans = nodes.filter((n) => n['Relation Name'] === 'consent_records');
    expect(scans.map((n) => [n['Node Type'], n['Index Name'], n['Actual Rows']])).toEqual([
      ['Index Scan', 'consent_records_current_idx', 1], ['Index Scan', 'consent_records_current_idx', 1],
    ]);
    expect(nodes.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });
});
