import PgBoss from 'pg-boss';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { FIRING_QUEUE, startTriggers } from '../../src/triggers/engine';
import { startReceiver, waitFor } from './receiver';
import { createLogger } from '../../src/logger';

// The real engine in the server (matcher every 100 ms, pg-boss workers) and the real webhook
// delivery worker; a global cap of 2 contacting firings per customer per day; firings overdue by 2 s
// queued again (4 h by default).
const ENV = {
  TRIGGER_WORKER: 'inline', TRIGGER_POLL_MS: '100', TRIGGER_CAP_PER_CUSTOMER: '2', TRIGGER_CAP_WINDOW_HOURS: '24', TRIGGER_SWEEP_AFTER_SECONDS: '2',
  WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '100', WEBHOOK_RETRY_LIMIT: '2', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_ATTEMPT_TIMEOUT_MS: '2000',
};

const TRIGGER_FIELDS = 'id name condition action segmentId lifecycleStages cartHours webhookEndpointId offerId offerDays taskNote delaySeconds consentPurpose capCount capWindowHours enabled';
const CREATE = `mutation($input: CreateTriggerInput!) { createTrigger(input: $input) { ${TRIGGER_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateTriggerInput!) { updateTrigger(input: $input) { ${TRIGGER_FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteTrigger(id: $id) }';
const FIRINGS = `query($id: ID!) { triggerFirings(triggerId: $id, first: 50) { totalCount nodes { id customerId eventId eventType status reason dueAt decidedAt } } }`;
const FEEDBACK = `mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }`;
const CONSENT = `mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`;
const INTERACTION = `mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { interaction { id } } }`;
const ORDER = `mutation($i: RecordOrderInput!) { recordOrder(input: $i) { order { id } } }`;
const TIMELINE = `query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { __typename ... on TriggerFiring { id triggerId status reason } } } } }`;

let app: TestApp;
// A server of its own whose matcher runs only when a test starts one (see the tests that use it),
// started beside the first. No webhook dispatcher either: its round locks the outbox rows it fans out,
// and a matcher meeting such a row skips it (SKIP LOCKED) until its next round, a minute away in the
// throughput test.
let quiet: TestApp;
const created: string[] = [];

beforeAll(async () => {
  [app, quiet] = await Promise.all([startTestApp(ENV), startTestApp({ ...ENV, TRIGGER_WORKER: 'off', WEBHOOK_WORKER: 'off' })]);
});
afterEach(async () => {
  // Triggers are global: each test's go, so they match nothing of the next.
  for (const id of created.splice(0)) await app.gql(DELETE, { id });
});
afterAll(async () => {
  await Promise.all([app?.close(), quiet?.close()]);
});

const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

async function createTrigger(input: Record<string, unknown>, role: Role = Role.ADMIN) {
  const t = (await ok(app.gql(CREATE, { input }, { role }))).createTrigger;
  created.push(t.id);
  return t as { id: string } & Record<string, unknown>;
}

interface FiringRow { id: string; customer_id: string; event_id: string; status: string; reason: string | null; due_at: Date; decided_at: Date | null; action_ref: string | null; occurred_at: Date }

async function firings(triggerId: string, customerId?: string): Promise<FiringRow[]> {
  return app.sql<FiringRow>(
    `select f.id, f.customer_id, f.event_id, f.status, f.reason, f.due_at, f.decided_at, f.action_ref, e.occurred_at
       from trigger_firings f join outbox_events e on e.id = f.event_id
      where f.trigger_id = ? and (?::uuid is null or f.customer_id = ?::uuid) order by f.created_at, f.id`,
    [dbId(triggerId), customerId ? dbId(customerId) : null, customerId ? dbId(customerId) : null],
  );
}

/** Waits until the customer has `n` decided firings of the trigger (the explicit signal), and answers all of them. */
async function decided(triggerId: string, customerId: string, n = 1): Promise<FiringRow[]> {
  await waitFor(`${n} decided firing(s)`, async () => (await firings(triggerId, customerId)).filter((f) => f.status !== 'scheduled').length >= n);
  return firings(triggerId, customerId);
}

const complaint = (customerId: string) => ok(app.gql(FEEDBACK, { input: { customerId, kind: 'COMPLAINT', text: 'The parcel never came', channel: 'EMAIL' } }));
const consent = (customerId: string, purpose: string, status: string, channel = 'ANY') =>
  ok(app.gql(CONSENT, { input: { customerId, purpose, channel, status, source: 'test', policyVersion: 'v1' } }));

describe('managing triggers', () => {
  it('validates input with clear codes, in one transaction, and leaves nothing behind', async () => {
    const before = await app.sql('select count(*) n from triggers');
    const bad = async (input: Record<string, unknown>) => (await app.gql(CREATE, { input })).errors?.[0].extensions;
    const base = { name: 'x', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK' };
    expect(await bad({ ...base, name: '  ' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(await bad({ ...base, condition: 'SEGMENT_ENTERED' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId', reason: 'REQUIRED' });
    expect(await bad({ ...base, condition: 'LIFECYCLE_CHANGED', lifecycleStages: [] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lifecycleStages', reason: 'REQUIRED' });
    expect(await bad({ ...base, cartHours: 2 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cartHours', reason: 'NOT_APPLICABLE' });
    expect(await bad({ ...base, condition: 'CART_ABANDONED', cartHours: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cartHours', reason: 'OUT_OF_RANGE' });
    expect(await bad({ ...base, action: 'OFFER' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'offerId', reason: 'REQUIRED' });
    expect(await bad({ ...base, delaySeconds: -1 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'delaySeconds', reason: 'OUT_OF_RANGE' });
    expect(await bad({ ...base, capWindowHours: 5 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'capWindowHours', reason: 'REQUIRED' });
    expect(await bad({ ...base, action: 'WEBHOOK', webhookEndpointId: 'not-an-id' })).toMatchObject({ code: 'BAD_USER_INPUT' });
    const missing = Buffer.from('WebhookEndpoint:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect(await bad({ ...base, action: 'WEBHOOK', webhookEndpointId: missing })).toMatchObject({ code: 'NOT_FOUND', field: 'webhookEndpointId' });
    expect(await app.sql('select count(*) n from triggers')).toEqual(before);

    const t = await createTrigger({ ...base, name: 'complaints to support', taskNote: 'Call back within a day' }, Role.MARKETING);
    expect(t).toMatchObject({ condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 0, enabled: true, taskNote: 'Call back within a day' });
    // An update is checked as a whole; a refused one changes nothing.
    expect((await app.gql(UPDATE, { input: { id: t.id, condition: 'CART_ABANDONED' } })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cartHours', reason: 'REQUIRED' });
    const updated = (await ok(app.gql(UPDATE, { input: { id: t.id, condition: 'CART_ABANDONED', cartHours: 4, capCount: 1 } }))).updateTrigger;
    expect(updated).toMatchObject({ condition: 'CART_ABANDONED', cartHours: 4, capCount: 1, capWindowHours: 24, taskNote: 'Call back within a day' });
    expect((await app.gql(DELETE, { id: Buffer.from('Trigger:00000000-0000-4000-8000-000000000000').toString('base64url') })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('is for admin and marketing (support tasks: admin and support)', async () => {
    const input = { name: 'x', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK' };
    const self = await makeCustomer(app);
    for (const role of [Role.SUPPORT, Role.ANALYST, Role.CUSTOMER]) {
      const as = { role, customerId: role === Role.CUSTOMER ? self.id : undefined };
      expect((await app.gql(CREATE, { input }, as)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await app.gql('{ triggers { id } }', {}, as)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await app.sql(`select * from triggers where name = 'x'`)).toEqual([]);
    expect((await app.gql('{ supportTasks { totalCount } }', {}, { role: Role.MARKETING })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await ok(app.gql('{ supportTasks { totalCount } }', {}, { role: Role.SUPPORT }));
    await ok(app.gql('{ triggers { id } }', {}, { role: Role.MARKETING }));
  });

  it('refuses subscribing an endpoint to trigger.fired (a trigger sends it to its own endpoint)', async () => {
    const res = await app.gql(`mutation { createWebhookEndpoint(input: { url: "https://example.com/x", events: ["trigger.fired"] }) { secret } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TRIGGER_ONLY' });
  });
});

describe('conditions and actions', () => {
  it('a complaint records one support task; replaying the event or the job does not fire again', async () => {
    const t = await createTrigger({ name: 'close the loop', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', taskNote: 'Call back' });
    const c = await makeCustomer(app);
    await ok(app.gql(FEEDBACK, { input: { customerId: c.id, kind: 'NPS', score: 9 } })); // not a complaint
    await complaint(c.id);
    const [f] = await decided(t.id, c.id);
    expect(f).toMatchObject({ status: 'fired', reason: null });
    const tasks = await app.sql<{ id: string; title: string; note: string; event_type: string }>('select id, title, note, event_type from support_tasks where customer_id = ?', [dbId(c.id)]);
    expect(tasks).toEqual([{ id: f.action_ref, title: 'close the loop', note: 'Call back', event_type: 'feedback.recorded' }]);

    // At-least-once consumption: the same outbox event consumed again…
    await app.sql('update outbox_events set triggers_matched_at = null where id = ?', [f.event_id]);
    await waitFor('the event matched again', async () => (await app.sql<{ m: Date | null }>('select triggers_matched_at m from outbox_events where id = ?', [f.event_id]))[0].m !== null);
    // …and the same job delivered twice.
    const boss = new PgBoss({ connectionString: app.orm.config.get('clientUrl')!, schema: 'pgboss', max: 1, supervise: false, schedule: false });
    await boss.start();
    try {
      const jobId = (await boss.send(FIRING_QUEUE, { firingId: f.id }))!;
      await waitFor('the duplicate job done', async () => (await boss.getJobById(FIRING_QUEUE, jobId))?.state === 'completed');
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
    expect(await firings(t.id, c.id)).toEqual([f]);
    expect(await app.sql('select count(*)::int n from support_tasks where customer_id = ?', [dbId(c.id)])).toEqual([{ n: 1 }]);

    // Support sees the task.
    const page = (await ok(app.gql('{ supportTasks(status: OPEN, first: 50) { nodes { id customerId title status } } }', {}, { role: Role.SUPPORT }))).supportTasks;
    const task = page.nodes.find((n: { customerId: string }) => n.customerId === c.id);
    expect(task).toEqual({ id: expect.any(String), customerId: c.id, title: 'close the loop', status: 'OPEN' });
    const SET = 'mutation($id: ID!, $s: SupportTaskStatus!) { setSupportTaskStatus(id: $id, status: $s) { id status } }';
    expect((await app.gql(SET, { id: task.id, s: 'DONE' }, { role: Role.MARKETING })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await ok(app.gql(SET, { id: task.id, s: 'DONE' }, { role: Role.SUPPORT }))).setSupportTaskStatus).toEqual({ id: task.id, status: 'DONE' });
  });

  it('entering a segment delivers one signed trigger.fired webhook', async () => {
    const receiver = await startReceiver();
    try {
      const ep = (await ok(app.gql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } secret } }`,
        { input: { url: receiver.url, events: ['customer.erased'] } }))).createWebhookEndpoint;
      const seg = (await ok(app.gql(`mutation($r: SegmentRuleInput!) { createSegment(input: { name: "trigger-push", rule: $r }) { id } }`,
        { r: { country: ['ZZ'] } }))).createSegment;
      const t = await createTrigger({ name: 'welcome to push', condition: 'SEGMENT_ENTERED', segmentId: seg.id, action: 'WEBHOOK', webhookEndpointId: ep.endpoint.id });
      const c = await makeCustomer(app);
      await consent(c.id, 'PUSH_MARKETING', 'GRANTED');
      // The rule now matches the customer: the re-evaluation enters them (segment.entered).
      await ok(app.gql(`mutation($id: ID!, $r: SegmentRuleInput!) { updateSegment(input: { id: $id, rule: $r }) { id } }`, { id: seg.id, r: { consent: { purpose: 'PUSH_MARKETING' } } }));
      const [f] = await decided(t.id, c.id);
      expect(f.status).toBe('fired');
      await waitFor('the delivery', () => receiver.received.some((r) => r.payload.type === 'trigger.fired' && r.payload.data.customerId === c.id));
      const got = receiver.received.find((r) => r.payload.type === 'trigger.fired' && r.payload.data.customerId === c.id)!;
      new Webhook(ep.secret).verify(got.body, got.headers); // throws on a bad signature
      expect(got.payload.data).toMatchObject({ triggerId: t.id, customerId: c.id, sourceEventType: 'segment.entered', sourceEventId: String(f.event_id) });
      expect(got.body).not.toMatch(/example\.com|Person/);
    } finally {
      await receiver.close();
    }
  });

  it('a lifecycle change to LAPSED makes the offer eligible for N days, only with the consent of its channel', async () => {
    const segOther = (await ok(app.gql(`mutation { createSegment(input: { name: "nobody-zz", rule: { country: ["ZZ"] } }) { id } }`))).createSegment;
    const offer = (await ok(app.gql(`mutation($i: CreateOfferInput!) { createOffer(input: $i) { id } }`, {
      i: { code: 'WINBACK-T', name: 'Come back', valueMinor: 500, currency: 'EUR', channels: ['EMAIL'], startsAt: new Date(Date.now() - 3600_000).toISOString(), status: 'ACTIVE', goal: 'WIN_BACK', targetSegmentIds: [segOther.id] },
    }))).createOffer;
    const t = await createTrigger({ name: 'win back', condition: 'LIFECYCLE_CHANGED', lifecycleStages: ['AT_RISK', 'LAPSED'], action: 'OFFER', offerId: offer.id, offerDays: 14 });
    const sku = (await makeProduct(app)).sku;
    const withConsent = await makeCustomer(app);
    const without = await makeCustomer(app);
    await consent(withConsent.id, 'EMAIL_MARKETING', 'GRANTED', 'EMAIL');
    await consent(without.id, 'EMAIL_MARKETING', 'GRANTED', 'EMAIL');
    await consent(without.id, 'EMAIL_MARKETING', 'WITHDRAWN', 'EMAIL');
    const longAgo = new Date(Date.now() - 400 * 86400_000).toISOString();
    for (const c of [withConsent, without]) await ok(app.gql(ORDER, { i: { customerId: c.id, channel: 'WEB', currency: 'EUR', placedAt: longAgo, lines: [{ sku, quantity: 1 }] } }));
    const nbo = async (id: string) => (await ok(app.gql(`query($id: ID!) { customer(id: $id) { nextBestOffers(channel: EMAIL, first: 10) { offer { id } } } }`, { id }))).customer.nextBestOffers.map((n: { offer: { id: string } }) => n.offer.id);
    expect(await nbo(withConsent.id)).not.toContain(offer.id); // not in its target segment

    await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
    const [fired] = await decided(t.id, withConsent.id);
    expect(fired.status).toBe('fired');
    const [grant] = await app.sql<{ days: number }>(`select round(extract(epoch from expires_at - granted_at) / 86400)::int days from offer_grants where id = ?`, [fired.action_ref]);
    expect(grant.days).toBe(14);
    expect(await nbo(withConsent.id)).toContain(offer.id);

    const [skipped] = await decided(t.id, without.id);
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'no_consent', action_ref: null });
    expect(await app.sql('select * from offer_grants where customer_id = ?', [dbId(without.id)])).toEqual([]);
  });

  it('a cart left without an order for N hours fires; one followed by an order, or by a later cart, is skipped', async () => {
    const t = await createTrigger({ name: 'cart rescue', condition: 'CART_ABANDONED', cartHours: 2, action: 'SUPPORT_TASK' });
    const product = await makeProduct(app);
    const cart = (customerId: string, hoursAgo: number) => ok(app.gql(INTERACTION, {
      input: { customerId, channel: 'WEB', type: 'CART_ADD', productId: product.id, occurredAt: new Date(Date.now() - hoursAgo * 3600_000).toISOString() },
    }));
    const abandoned = await makeCustomer(app);
    const bought = await makeCustomer(app);
    const twice = await makeCustomer(app);
    const fresh = await makeCustomer(app);
    // The order is recorded first, so it is there whenever the cart is decided.
    await ok(app.gql(ORDER, { i: { customerId: bought.id, channel: 'WEB', currency: 'EUR', placedAt: new Date(Date.now() - 2 * 3600_000).toISOString(), lines: [{ sku: product.sku, quantity: 1 }] } }));
    await cart(bought.id, 3);
    await cart(twice.id, 3.5);
    await cart(twice.id, 3);
    await cart(abandoned.id, 3);
    await cart(fresh.id, 0);

    expect((await decided(t.id, abandoned.id))[0]).toMatchObject({ status: 'fired' });
    expect((await decided(t.id, bought.id))[0]).toMatchObject({ status: 'skipped', reason: 'order_placed' });
    const two = await decided(t.id, twice.id, 2);
    expect(two.map((f) => f.status).sort()).toEqual(['fired', 'skipped']);
    expect(two.find((f) => f.status === 'skipped')!.reason).toBe('cart_updated');
    // A cart added just now is due when its window closes, not before.
    await waitFor('the fresh cart matched', async () => (await firings(t.id, fresh.id)).length === 1);
    const [f] = await firings(t.id, fresh.id);
    expect(f.status).toBe('scheduled');
    const [{ hours }] = await app.sql<{ hours: number }>(
      `select extract(epoch from f.due_at - i.occurred_at) / 3600 as hours from trigger_firings f join outbox_events e on e.id = f.event_id join interactions i on i.id = e.subject_id where f.id = ?`, [f.id]);
    expect(Number(hours)).toBeCloseTo(2, 6);
  });
});

describe('the rules a firing obeys', () => {
  it('waits for its delay: decided at or after the event time plus the delay', async () => {
    const t = await createTrigger({ name: 'delayed', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 2 });
    const c = await makeCustomer(app);
    await complaint(c.id);
    await waitFor('the firing matched', async () => (await firings(t.id, c.id)).length === 1);
    // Seen while still before its due time: scheduled, and no task yet (one snapshot).
    const [early] = await app.sql<{ status: string; before_due: boolean; tasks: number }>(
      `select f.status, now() < f.due_at as before_due, (select count(*)::int from support_tasks s where s.firing_id = f.id) as tasks
         from trigger_firings f where f.trigger_id = ? and f.customer_id = ?`, [dbId(t.id), dbId(c.id)]);
    if (early.before_due) expect(early).toMatchObject({ status: 'scheduled', tasks: 0 });
    const [f] = await decided(t.id, c.id);
    expect(f.status).toBe('fired');
    expect(new Date(f.due_at).getTime() - new Date(f.occurred_at).getTime()).toBe(2000);
    expect(new Date(f.decided_at!).getTime()).toBeGreaterThanOrEqual(new Date(f.due_at).getTime());
    const [task] = await app.sql<{ at: Date }>('select created_at at from support_tasks where firing_id = ?', [f.id]);
    expect(new Date(task.at).getTime()).toBeGreaterThanOrEqual(new Date(f.due_at).getTime());
  });

  it('skips with NO_CONSENT when the purpose the trigger needs was withdrawn', async () => {
    const t = await createTrigger({ name: 'email follow-up', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', consentPurpose: 'EMAIL_MARKETING' });
    const granted = await makeCustomer(app);
    const withdrawn = await makeCustomer(app);
    await consent(granted.id, 'EMAIL_MARKETING', 'GRANTED');
    await consent(withdrawn.id, 'EMAIL_MARKETING', 'GRANTED');
    await consent(withdrawn.id, 'EMAIL_MARKETING', 'WITHDRAWN', 'EMAIL'); // the channel's own withdrawal counts
    await complaint(granted.id);
    await complaint(withdrawn.id);
    expect((await decided(t.id, granted.id))[0]).toMatchObject({ status: 'fired' });
    expect((await decided(t.id, withdrawn.id))[0]).toMatchObject({ status: 'skipped', reason: 'no_consent' });
    expect(await app.sql('select * from support_tasks where customer_id = ?', [dbId(withdrawn.id)])).toEqual([]);
  });

  it("a partner endpoint gets nothing about a customer who has not granted third-party sharing", async () => {
    const key = (await ok(app.gql(`mutation { createApiKey(input: { name: "trigger-partner", scopes: ["customers:read"] }) { apiKey { id } secret } }`))).createApiKey;
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.secret },
      body: JSON.stringify({ query: `mutation { createWebhookEndpoint(input: { url: "https://partner.example.com/hook", events: ["customer.updated"] }) { endpoint { id } } }` }) });
    const endpointId = ((await res.json()) as { data: { createWebhookEndpoint: { endpoint: { id: string } } } }).data.createWebhookEndpoint.endpoint.id;
    // What a firing tells must be what the key may learn: lifecycle stages (computed metrics) never, complaints only with feedback:read.
    for (const cond of [{ condition: 'LIFECYCLE_CHANGED', lifecycleStages: ['LAPSED'] }, { condition: 'COMPLAINT_RECORDED' }]) {
      expect((await app.gql(CREATE, { input: { name: 'leak', action: 'WEBHOOK', webhookEndpointId: endpointId, ...cond } })).errors?.[0].extensions)
        .toMatchObject({ code: 'BAD_USER_INPUT', field: 'webhookEndpointId', reason: 'PARTNER_NOT_ALLOWED' });
    }
    await ok(app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { name } }`, { id: key.apiKey.id }));
    const key2 = (await ok(app.gql(`mutation { createApiKey(input: { name: "trigger-partner-2", scopes: ["customers:read", "feedback:read"] }) { apiKey { id } secret } }`))).createApiKey;
    const res2 = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key2.secret },
      body: JSON.stringify({ query: `mutation { createWebhookEndpoint(input: { url: "https://partner.example.com/hook2", events: ["feedback.recorded"] }) { endpoint { id } } }` }) });
    const endpoint2 = ((await res2.json()) as { data: { createWebhookEndpoint: { endpoint: { id: string } } } }).data.createWebhookEndpoint.endpoint.id;
    const t = await createTrigger({ name: 'tell the partner', condition: 'COMPLAINT_RECORDED', action: 'WEBHOOK', webhookEndpointId: endpoint2 });
    const c = await makeCustomer(app);
    await complaint(c.id);
    expect((await decided(t.id, c.id))[0]).toMatchObject({ status: 'skipped', reason: 'no_consent' });
    expect(await app.sql(`select * from webhook_deliveries where endpoint_id = ?`, [dbId(endpoint2)])).toEqual([]);
  });

  it("caps: the trigger's own cap, the stated contact frequency, and the global cap", async () => {
    // Own cap: one per customer per day.
    const capped = await createTrigger({ name: 'once a day', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', capCount: 1, capWindowHours: 24 });
    const a = await makeCustomer(app);
    await complaint(a.id);
    await complaint(a.id);
    const own = await decided(capped.id, a.id, 2);
    expect(own.map((f) => [f.status, f.reason]).sort()).toEqual([['fired', null], ['skipped', 'trigger_cap']]);
    await ok(app.gql(DELETE, { id: created.pop() }));

    // Contacting actions (webhook) against the stated frequency (WEEKLY) and the global cap (2 a day).
    const receiver = await startReceiver();
    try {
      const ep = (await ok(app.gql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
        { input: { url: receiver.url, events: ['customer.erased'] } }))).createWebhookEndpoint;
      const hook = await createTrigger({ name: 'complaint to CRM', condition: 'COMPLAINT_RECORDED', action: 'WEBHOOK', webhookEndpointId: ep.endpoint.id });
      const weekly = await makeCustomer(app);
      await ok(app.gql(`mutation($id: ID!) { setPreferences(customerId: $id, input: { contactFrequency: WEEKLY }) { stated { value } } }`, { id: weekly.id }));
      await complaint(weekly.id);
      await complaint(weekly.id);
      const freq = await decided(hook.id, weekly.id, 2);
      expect(freq.map((f) => [f.status, f.reason]).sort()).toEqual([['fired', null], ['skipped', 'contact_frequency']]);

      const busy = await makeCustomer(app);
      for (let i = 0; i < 3; i++) await complaint(busy.id);
      const global = await decided(hook.id, busy.id, 3);
      expect(global.map((f) => [f.status, f.reason]).sort()).toEqual([['fired', null], ['fired', null], ['skipped', 'global_cap']]);
    } finally {
      await receiver.close();
    }
  });

  it('never fires for an erased customer', async () => {
    // Due in an hour, so that the erasure surely comes first.
    const t = await createTrigger({ name: 'late follow-up', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 3600 });
    const c = await makeCustomer(app);
    await complaint(c.id);
    await waitFor('the firing matched', async () => (await firings(t.id, c.id)).length === 1);
    const [f] = await firings(t.id, c.id);
    await ok(app.gql('mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }', { id: c.id }));
    // Erasure takes the firing (targeting of the person) with it; its job, when due (the hour passes:
    // it falls due now), finds nothing to do.
    const [job] = await app.sql<{ id: string }>(`update pgboss.job set start_after = now() where name = ? and data ->> 'firingId' = ? and state = 'created' returning id`, [FIRING_QUEUE, f.id]);
    expect(job).toEqual({ id: expect.any(String) });
    await waitFor('the job done', async () => (await app.sql<{ state: string }>('select state from pgboss.job where id = ?', [job.id]))[0]?.state === 'completed');
    expect(await app.sql('select * from trigger_firings where customer_id = ?', [dbId(c.id)])).toEqual([]);
    expect(await app.sql('select * from support_tasks where customer_id = ?', [dbId(c.id)])).toEqual([]);
  });
});

describe('lost jobs', () => {
  it('a firing whose job was lost is queued again once overdue, and decided once', async () => {
    // Due in an hour, so that its job is surely still waiting when the test takes it away.
    const t = await createTrigger({ name: 'lost job', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 3600 });
    const c = await makeCustomer(app);
    await complaint(c.id);
    await waitFor('the firing matched', async () => (await firings(t.id, c.id)).length === 1);
    const [f] = await firings(t.id, c.id);
    // The job vanishes before it is due (as if the queue's tables had been restored from an older backup).
    const gone = await app.sql<{ id: string }>(`delete from pgboss.job where name = ? and data ->> 'firingId' = ? and state = 'created' returning id`, [FIRING_QUEUE, f.id]);
    expect(gone).toHaveLength(1);
    // Then the hour passes: the firing is overdue by more than TRIGGER_SWEEP_AFTER_SECONDS, and was
    // matched that long ago too (the sweep leaves alone what a round has just queued).
    await app.sql(`update trigger_firings set due_at = now() - interval '1 minute', created_at = created_at - interval '1 hour' where id = ?`, [f.id]);
    const [done] = await decided(t.id, c.id);
    expect(done).toMatchObject({ status: 'fired' });
    expect((await app.sql<{ r: Date | null }>('select requeued_at r from trigger_firings where id = ?', [f.id]))[0].r).not.toBeNull();
    expect(await app.sql('select count(*)::int n from support_tasks where firing_id = ?', [f.id])).toEqual([{ n: 1 }]);
  });
});

describe('merged customers', () => {
  const MERGE = 'mutation($s: ID!, $l: ID!) { mergeCustomers(input: { survivorId: $s, loserId: $l, reason: "same person" }) { merge { id } } }';

  /** Makes the one scheduled firing of the trigger due now (the hour passes) and answers it once decided. */
  async function dueNow(target: TestApp, firingId: string) {
    await target.sql(`update trigger_firings set due_at = now() where id = ?`, [firingId]);
    const moved = await target.sql(`update pgboss.job set start_after = now() where name = ? and data ->> 'firingId' = ? and state = 'created' returning id`, [FIRING_QUEUE, firingId]);
    expect(moved).toHaveLength(1);
  }

  it('a firing matched before its customer was merged away moves with the merge and acts on the survivor', async () => {
    // Due in an hour, so that the merge surely comes before the decision however slow the machine.
    const t = await createTrigger({ name: 'merge after match', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 3600 });
    const loser = await makeCustomer(app);
    const survivor = await makeCustomer(app);
    await complaint(loser.id);
    await waitFor('the firing matched', async () => (await firings(t.id, loser.id)).length === 1);
    const [scheduled] = await firings(t.id, loser.id);
    await ok(app.gql(MERGE, { s: survivor.id, l: loser.id }));
    expect(await firings(t.id, loser.id)).toEqual([]);
    expect(await firings(t.id, survivor.id)).toEqual([expect.objectContaining({ id: scheduled.id, status: 'scheduled' })]);
    await dueNow(app, scheduled.id);
    const [f] = await decided(t.id, survivor.id);
    expect(f).toMatchObject({ id: scheduled.id, status: 'fired', reason: null });
    expect(await app.sql('select customer_id from support_tasks where firing_id = ?', [f.id])).toEqual([{ customer_id: dbId(survivor.id) }]);
  });

  describe('an event matched only after its customer was merged away', () => {
    // On the quiet server, whose matcher runs only when the test starts it, so that the merge surely
    // commits before the event is matched (the order a busy matcher or a backlog gives).
    it('acts on the survivor, as it would have had it been matched first (not skipped as CUSTOMER_NOT_ACTIVE)', async () => {
      const gql = (q: string, v: Record<string, unknown>) => ok(quiet.gql(q, v));
      const t = (await gql(CREATE, { input: { name: 'match after merge', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', delaySeconds: 3600 } })).createTrigger;
      const loser = await makeCustomer(quiet);
      const survivor = await makeCustomer(quiet);
      await gql(FEEDBACK, { input: { customerId: loser.id, kind: 'COMPLAINT', text: 'The parcel never came', channel: 'EMAIL' } });
      await gql(MERGE, { s: survivor.id, l: loser.id });
      const of = (customerId: string) => quiet.sql<{ id: string; status: string; reason: string | null }>(
        'select id, status, reason from trigger_firings where trigger_id = ? and customer_id = ?', [dbId(t.id), dbId(customerId)]);
      expect(await quiet.sql('select count(*)::int n from trigger_firings')).toEqual([{ n: 0 }]);
      const engine = await startTriggers({ databaseUrl: quiet.orm.config.get('clientUrl')!, config: { ...quiet.config.triggers, worker: 'inline' }, logger: createLogger(quiet.config) });
      try {
        await waitFor('the firing matched', async () => (await of(survivor.id)).length === 1);
        expect(await of(loser.id)).toEqual([]);
        const [scheduled] = await of(survivor.id);
        await dueNow(quiet, scheduled.id);
        await waitFor('the firing decided', async () => (await of(survivor.id))[0].status !== 'scheduled');
        expect(await of(survivor.id)).toEqual([{ id: scheduled.id, status: 'fired', reason: null }]);
        expect(await quiet.sql('select customer_id from support_tasks where firing_id = ?', [scheduled.id])).toEqual([{ customer_id: dbId(survivor.id) }]);
      } finally {
        await engine.stop();
      }
    });
  });
});

describe('throughput', () => {
  it('decides a backlog of due firings one after another, not one per poll interval', async () => {
    // pg-boss waits a polling interval after every fetch, one that found a job too: with one job per fetch,
    // a worker decided one firing per TRIGGER_POLL_MS. With the longest interval (a minute) and half of it
    // to wait, 12 firings are decided only if a worker that handled a job asks for the next at once, and
    // the matcher wakes it when it queued firings due now.
    const t = (await ok(quiet.gql(CREATE, { input: { name: 'backlog', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK' } }))).createTrigger;
    const customers = await Promise.all(Array.from({ length: 12 }, () => makeCustomer(quiet)));
    for (const c of customers) await ok(quiet.gql(FEEDBACK, { input: { customerId: c.id, kind: 'COMPLAINT', text: 'The parcel never came', channel: 'EMAIL' } }));
    const decidedCount = async () => (await quiet.sql<{ n: number }>(`select count(*)::int n from trigger_firings where trigger_id = ? and status = 'fired'`, [dbId(t.id)]))[0].n;
    expect(await decidedCount()).toBe(0);
    const engine = await startTriggers({ databaseUrl: quiet.orm.config.get('clientUrl')!, config: { ...quiet.config.triggers, worker: 'inline', pollMs: 60_000 }, logger: createLogger(quiet.config) });
    try {
      await waitFor('12 firings decided', async () => (await decidedCount()) === 12, 30_000);
      expect(await quiet.sql('select count(*)::int n from support_tasks where trigger_id = ?', [dbId(t.id)])).toEqual([{ n: 12 }]);
    } finally {
      await engine.stop();
      await ok(quiet.gql(DELETE, { id: t.id }));
    }
  });
});

describe('the firing log and the timeline', () => {
  it('triggerFirings lists the log; the timeline shows firings to admin, support and marketing, not to analysts or the customer', async () => {
    const t = await createTrigger({ name: 'timeline', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK' });
    const c = await makeCustomer(app);
    await complaint(c.id);
    const [f] = await decided(t.id, c.id);
    const log = (await ok(app.gql(FIRINGS, { id: t.id }, { role: Role.MARKETING }))).triggerFirings;
    expect(log.totalCount).toBe(1);
    expect(log.nodes[0]).toMatchObject({ customerId: c.id, eventType: 'feedback.recorded', status: 'FIRED', reason: null, eventId: String(f.event_id) });
    for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING]) {
      const nodes = (await ok(app.gql(TIMELINE, { id: c.id }, { role }))).customer.timeline.nodes;
      expect(nodes.filter((n: { __typename: string }) => n.__typename === 'TriggerFiring')).toEqual([{ __typename: 'TriggerFiring', id: log.nodes[0].id, triggerId: t.id, status: 'FIRED', reason: null }]);
    }
    for (const [role, customerId] of [[Role.ANALYST, undefined], [Role.CUSTOMER, c.id]] as const) {
      const res = await app.gql(TIMELINE, { id: c.id }, { role, customerId });
      expect(res.errors).toBeUndefined();
      const kinds = res.data.customer.timeline.nodes.map((n: { __typename: string }) => n.__typename);
      expect(kinds).toContain('Feedback');
      expect(kinds).not.toContain('TriggerFiring');
    }
    expect((await app.gql(FIRINGS, { id: t.id }, { role: Role.SUPPORT })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('batching', () => {
  it('triggerFirings and supportTasks cost the same statements for 2 rows as for 12', async () => {
    const t = await createTrigger({ name: 'batch', condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK' });
    const customers = await Promise.all(Array.from({ length: 12 }, () => makeCustomer(app)));
    await Promise.all(customers.map((c) => complaint(c.id)));
    await Promise.all(customers.map((c) => decided(t.id, c.id)));
    const count = async (query: string, role: Role) => {
      const res = await app.gql(query, {}, { role });
      expect(res.errors).toBeUndefined();
      return res.extensions!.sqlStatements as number;
    };
    const firingsOf = (n: number) => `{ triggerFirings(triggerId: "${t.id}", first: ${n}) { totalCount nodes { id customerId triggerId status reason eventType dueAt decidedAt } } }`;
    const tasksOf = (n: number) => `{ supportTasks(first: ${n}) { totalCount nodes { id customerId title note status eventType createdAt } } }`;
    expect(await count(firingsOf(12), Role.MARKETING)).toBe(await count(firingsOf(2), Role.MARKETING));
    expect(await count(tasksOf(12), Role.SUPPORT)).toBe(await count(tasksOf(2), Role.SUPPORT));
  });
});
