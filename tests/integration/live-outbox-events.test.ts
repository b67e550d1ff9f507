import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';

/**
 * customerActivity also carries segment entries and exits and lifecycle stage changes, relayed from the
 * outbox (README "Live updates"), through the real server's WebSocket, each to the viewers who may read it.
 */

const SUBSCRIPTION = `subscription Live($customerId: ID!) {
  customerActivity(customerId: $customerId) {
    __typename
    ... on SegmentMembershipChange { eventId change at segment { name } customer { id } }
    ... on LifecycleStageChange { eventId from to at customer { id } }
    ... on ConsentRecord { purpose status }
  }
}`;

interface Received { data: Array<Record<string, unknown>>; errors: unknown[] }

let app: TestApp;
const clients: Client[] = [];
const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

beforeAll(async () => {
  app = await startTestApp({ LIVE_RELAY_POLL_MS: '100' });
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await app?.close();
});

async function subscribe(role: Role, customerId: string, own?: string): Promise<Received> {
  const token = await app.tokenFor(role, own);
  const client = createClient({ url: app.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });
  clients.push(client);
  const got: Received = { data: [], errors: [] };
  client.subscribe({ query: SUBSCRIPTION, variables: { customerId } }, {
    next: (r) => {
      if (r.errors) got.errors.push(...r.errors);
      if (r.data) got.data.push(r.data.customerActivity as Record<string, unknown>);
    },
    error: (e) => got.errors.push(e),
    complete: () => undefined,
  });
  return got;
}

/** Subscribed for sure: the server holds as many subscribers of that customer as asked. */
async function subscribed(customerId: string, n: number) {
  await waitFor(`${n} subscribers`, () => app.server.events.subscriberCount(dbId(customerId)) === n);
}

/** A lifecycle stage for the customer, as an analytics run writes it (the customer_metrics trigger writes the outbox event). */
async function setStage(customerId: string, stage: string) {
  await app.sql(
    `insert into customer_metrics (customer_id, model_version, orders_count, frequency, historic_value_minor, rfm_segment, engagement_decline, negative_feedback90d, value_tier, lifecycle_stage)
     values (?, 'test', 0, 0, 0, '111', 0, 0, 'maintain', ?)
     on conflict (customer_id) do update set lifecycle_stage = excluded.lifecycle_stage`,
    [dbId(customerId), stage],
  );
}

it('sends segment entries and exits to admin, lifecycle changes to admin and support, neither to the customer', async () => {
  const x = await makeCustomer(app, { address: { country: 'NO' } });
  const admin = await subscribe(Role.ADMIN, x.id);
  const support = await subscribe(Role.SUPPORT, x.id);
  const self = await subscribe(Role.CUSTOMER, x.id, x.id);
  await subscribed(x.id, 3);

  // Entered: the segment is evaluated when created; exited: its rule changes so that x no longer matches.
  const seg = await ok(app.gql(`mutation { createSegment(input: { name: "Norway", rule: { country: ["NO"] } }) { id } }`));
  await setStage(x.id, 'at_risk');
  await ok(app.gql(`mutation($id: ID!) { updateSegment(input: { id: $id, rule: { country: ["SE"] } }) { id } }`, { id: seg.createSegment.id }));
  // Once the relay has taken them (and so published them), a consent decision: every subscriber may read
  // it, so it marks the end of what each will get.
  await waitFor('the relay', async () => (await app.sql<{ n: string }>(
    `select count(*) n from outbox_events where customer_id = ? and type in ('segment.entered', 'segment.exited', 'lifecycle.changed') and live_relayed_at is not null`, [dbId(x.id)],
  ))[0].n === '3');
  await ok(app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: ANALYTICS, status: GRANTED, source: "test", policyVersion: "v1" }) { id } }`, { c: x.id }));

  await waitFor('admin events', () => admin.data.length >= 4);
  const kinds = (r: Received) => r.data.map((d) => (d.__typename === 'SegmentMembershipChange' ? `${d.__typename}:${d.change}` : d.__typename)).sort();
  expect(kinds(admin)).toEqual(['ConsentRecord', 'LifecycleStageChange', 'SegmentMembershipChange:ENTERED', 'SegmentMembershipChange:EXITED']);
  const entered = admin.data.find((d) => d.change === 'ENTERED')!;
  expect(entered).toMatchObject({ segment: { name: 'Norway' }, customer: { id: x.id } });
  expect(admin.data.find((d) => d.__typename === 'LifecycleStageChange')).toMatchObject({ from: null, to: 'AT_RISK', customer: { id: x.id } });
  // The event id is the outbox id a webhook of the same event carries.
  const [row] = await app.sql<{ id: string }>(`select id from outbox_events where type = 'segment.entered' and customer_id = ?`, [dbId(x.id)]);
  expect(entered.eventId).toBe(String(row.id));
  expect(admin.errors).toEqual([]);

  await waitFor('support consent event', () => support.data.some((d) => d.__typename === 'ConsentRecord'));
  await waitFor('customer consent event', () => self.data.some((d) => d.__typename === 'ConsentRecord'));
  // The segment and lifecycle events were published before the consent event was written, and each
  // subscriber gets its events in order: what is missing now is never sent.
  expect(kinds(support)).toEqual(['ConsentRecord', 'LifecycleStageChange']);
  expect(kinds(self)).toEqual(['ConsentRecord']);
  expect([...support.errors, ...self.errors]).toEqual([]);
}, 120_000);

it('never sends the lifecycle change of a customer who objected to profiling', async () => {
  const y = await makeCustomer(app, { address: { country: 'DK' } });
  await ok(app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: PROFILING, status: WITHDRAWN, source: "test", policyVersion: "v1" }) { id } }`, { c: y.id }));
  const admin = await subscribe(Role.ADMIN, y.id);
  await subscribed(y.id, 1);
  await setStage(y.id, 'lapsed');
  // Then an event the admin does get, relayed after the lifecycle one (the relay publishes in outbox order).
  await ok(app.gql(`mutation { createSegment(input: { name: "Denmark", rule: { country: ["DK"] } }) { id } }`));
  await waitFor('segment event', () => admin.data.some((d) => d.__typename === 'SegmentMembershipChange'));
  expect(admin.data.map((d) => d.__typename)).toEqual(['SegmentMembershipChange']);
}, 120_000);
