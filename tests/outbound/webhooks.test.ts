import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { createServer } from '../../src/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { checkEndpointUrl } from '../../src/outbound/webhooks.service';
import { startOutbound, webhookPayload, type OutboxRow } from '../../src/outbound/delivery-worker';
import { fromGlobalId } from '../../src/schema/global-id';
import { startReceiver, waitFor } from './receiver';

// Fast retry schedule for tests: 2 retries at once (no backoff: it only spaces the same attempts out, and
// its floor of 1 s then 2 s cost seconds a test; the defaults are checked in dispatcher-backlog.test.ts),
// attempts cut at 700 ms, abandoned attempts expire after 2 s. Production defaults are in README "Webhooks".
const WEBHOOK_ENV = {
  WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '100', WEBHOOK_RETRY_LIMIT: '2', WEBHOOK_RETRY_DELAY_SECONDS: '0', WEBHOOK_RETRY_BACKOFF: 'false',
  WEBHOOK_ATTEMPT_TIMEOUT_MS: '700', WEBHOOK_EXPIRE_SECONDS: '2', WEBHOOK_MAINTENANCE_SECONDS: '1', WEBHOOK_DISABLE_AFTER: '1',
};

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url events status } secret } }`;
const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id status disabledReason consecutiveFailures } }`;
const DELIVERIES = `query($id: ID!, $status: WebhookDeliveryStatus) { webhookDeliveries(endpointId: $id, status: $status, first: 50) {
  totalCount nodes { id eventId eventType status attempts responseStatus lastError } } }`;
const REPLAY = `mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status } }`;
const SET_CONSENT = `mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`;
const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`;
const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`;

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp(WEBHOOK_ENV);
});
afterAll(async () => {
  await app?.close();
});

async function endpointFor(url: string, events: string[]) {
  const { createWebhookEndpoint } = await ok(app.gql(CREATE, { input: { url, events } }));
  return createWebhookEndpoint as { endpoint: { id: string }; secret: string };
}

async function asKey(key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: Array<{ extensions: Record<string, unknown> }> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const dbId = (globalId: string) => fromGlobalId(globalId)!.id;

const consent = (customerId: string, purpose: string, status: string) =>
  ok(app.gql(SET_CONSENT, { input: { customerId, purpose, status, source: 'test', policyVersion: 'v1' } }));

describe('the outbox', () => {
  it('records each domain change with ids and kinds only, in the writing transaction', async () => {
    const before = Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
    const c = await makeCustomer(app, { email: 'outbox.person@example.com', firstName: 'Ottilie' });
    await ok(app.gql(UPSERT, { input: { id: c.id, firstName: 'Otti' } }));
    await consent(c.id, 'EMAIL_MARKETING', 'GRANTED');
    const rows = await app.sql<{ type: string; data: Record<string, unknown> }>('select type, data from outbox_events where id > ? order by id', [before]);
    expect(rows.map((r) => r.type)).toEqual(['customer.created', 'customer.updated', 'consent.changed']);
    expect(rows[1].data).toEqual({ fields: ['firstName'] });
    expect(rows[2].data).toEqual({ purpose: 'email_marketing', channel: 'any', status: 'granted', previousStatus: 'none', recordedStatus: 'granted', changedChannels: ['any'] });
    expect(JSON.stringify(rows)).not.toMatch(/Ottilie|Otti|outbox\.person/);
  });

  it('announces the consent in force after a write, and nothing when the write did not change it', async () => {
    const c = await makeCustomer(app);
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const set = (status: string, channel: string, recordedAt?: string) =>
      ok(app.gql(SET_CONSENT, { input: { customerId: c.id, purpose: 'EMAIL_MARKETING', channel, status, source: 'test', policyVersion: 'v1', ...(recordedAt ? { recordedAt } : {}) } }))
        .then((r) => (r as { setConsent: { id: string } }).setConsent.id);
    const events = async (since: number) =>
      (await app.sql<{ type: string; data: Record<string, unknown>; subject_id: string }>(
        `select type, data, subject_id from outbox_events where id > ? and customer_id::text = ? and type = 'consent.changed' order by id`, [since, dbId(c.id)]))
        .map((e) => ({ record: e.subject_id, ...e.data }));
    const mark = async () => Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
    const start = await mark();
    const granted = await set('GRANTED', 'EMAIL', daysAgo(60));
    const withdrawn = await set('WITHDRAWN', 'EMAIL'); // today: the customer's last word
    const lateGrant = await set('GRANTED', 'EMAIL', daysAgo(30)); // an older grant, synced late: changes nothing in force
    const repeated = await set('WITHDRAWN', 'EMAIL'); // the same decision again: nothing either
    const email = { purpose: 'email_marketing', channel: 'email', changedChannels: ['email'] };
    expect(await events(start)).toEqual([
      { record: dbId(granted), ...email, status: 'granted', previousStatus: 'none', recordedStatus: 'granted' },
      { record: dbId(withdrawn), ...email, status: 'withdrawn', previousStatus: 'granted', recordedStatus: 'withdrawn' },
    ]);
    expect(await app.sql('select count(*)::int n from consent_records where id = any(?::uuid[])', [`{${[lateGrant, repeated].map(dbId).join(',')}}`])).toEqual([{ n: 2 }]);
    // A grant on ANY, today: newer than the e-mail withdrawal, so it changes e-mail's consent in force too.
    const mid = await mark();
    const any = await set('GRANTED', 'ANY');
    expect(await events(mid)).toEqual([
      { record: dbId(any), purpose: 'email_marketing', channel: 'any', status: 'granted', previousStatus: 'none', recordedStatus: 'granted', changedChannels: ['any', 'email'] },
    ]);
    // What a partner receives: the same fields, the record as its global id.
    const [row] = await app.sql<OutboxRow>(`select * from outbox_events where id > ? and type = 'consent.changed' and customer_id::text = ?`, [mid, dbId(c.id)]);
    expect(webhookPayload(row).data).toEqual({
      eventId: row.id, customerId: c.id, consentRecordId: any, purpose: 'email_marketing', channel: 'any', status: 'granted', previousStatus: 'none', recordedStatus: 'granted',
      changedChannels: ['any', 'email'],
    });
  });

  it('per statement: one consent.changed per channel written, naming its newest record, judged against the consent in force before the statement', async () => {
    const c = await makeCustomer(app);
    const id = dbId(c.id);
    const start = Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
    // One statement, as a bulk write would: two decisions on PUSH (the grant newer), a withdrawal on ANY, and a
    // grant on SMS recorded after it; the customer had no decision before.
    const written = await app.sql<{ id: string; channel: string; status: string }>(
      `insert into consent_records (customer_id, purpose, channel, status, source, policy_version, recorded_at)
       values (?, 'sms_marketing', 'push', 'withdrawn', 'bulk', 'v1', now() - interval '2 days'), (?, 'sms_marketing', 'push', 'granted', 'bulk', 'v1', now() - interval '1 day'),
              (?, 'sms_marketing', 'any', 'withdrawn', 'bulk', 'v1', now() - interval '3 days'), (?, 'sms_marketing', 'sms', 'granted', 'bulk', 'v1', now() - interval '2 days')
       returning id, channel, status`, [id, id, id, id]);
    const record = (channel: string, status: string) => written.find((w) => w.channel === channel && w.status === status)!.id;
    const events = await app.sql<{ subject_id: string; data: Record<string, unknown> }>(
      `select subject_id, data from outbox_events where id > ? and customer_id = ? and type = 'consent.changed' order by id`, [start, id]);
    // In the order of the records named; an ANY record lists every channel the statement changed that it applies to.
    expect(events.map((e) => ({ record: e.subject_id, ...e.data }))).toEqual([
      { record: record('push', 'granted'), purpose: 'sms_marketing', channel: 'push', status: 'granted', previousStatus: 'none', recordedStatus: 'granted', changedChannels: ['push'] },
      { record: record('any', 'withdrawn'), purpose: 'sms_marketing', channel: 'any', status: 'withdrawn', previousStatus: 'none', recordedStatus: 'withdrawn', changedChannels: ['any', 'push', 'sms'] },
      { record: record('sms', 'granted'), purpose: 'sms_marketing', channel: 'sms', status: 'granted', previousStatus: 'none', recordedStatus: 'granted', changedChannels: ['sms'] },
    ]);
    // A later statement re-stating the ANY withdrawal, older than both channel decisions: nothing in force changes.
    const mid = Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
    await app.sql(`insert into consent_records (customer_id, purpose, channel, status, source, policy_version, recorded_at) values (?, 'sms_marketing', 'any', 'withdrawn', 'bulk', 'v1', now() - interval '5 days')`, [id]);
    expect(await app.sql(`select count(*)::int n from outbox_events where id > ? and type = 'consent.changed'`, [mid])).toEqual([{ n: 0 }]);
  });

  it('covers set-based writes: an analytics run announces each lifecycle change once', async () => {
    await makeCustomer(app);
    const count = async () => Number((await app.sql<{ n: string }>(`select count(*) as n from outbox_events where type = 'lifecycle.changed'`))[0].n);
    const before = await count();
    await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
    const staged = Number((await app.sql<{ n: string }>('select count(*) as n from customer_lifecycle_states'))[0].n);
    expect(staged).toBeGreaterThan(0);
    expect(await count()).toBe(before + staged); // every stage is new on the first run
    await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
    expect(await count()).toBe(before + staged); // nothing changed: nothing announced
  });

  it('writes nothing for a rejected write', async () => {
    const before = await app.sql<{ n: string }>('select count(*) as n from outbox_events');
    const res = await app.gql(UPSERT, { input: { email: 'not an email' } });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await app.sql('select count(*) as n from outbox_events')).toEqual(before);
  });
});

describe('webhook endpoints', () => {
  it('validates input with clear codes and leaves nothing behind', async () => {
    const bad = async (input: Record<string, unknown>) => (await app.gql(CREATE, { input })).errors?.[0].extensions;
    expect(await bad({ url: 'not a url', events: ['order.recorded'] })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'URL_INVALID' });
    expect(await bad({ url: 'ftp://example.com/x', events: ['order.recorded'] })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'URL_NOT_HTTPS' });
    expect(await bad({ url: 'https://user:pw@example.com/x', events: ['order.recorded'] })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'URL_INVALID' });
    expect(await bad({ url: 'https://example.com/x', events: [] })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NO_EVENTS' });
    expect(await bad({ url: 'https://example.com/x', events: ['order.shipped'] })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_EVENT' });
    expect(await app.sql('select * from webhook_endpoints where url like ?', ['%example.com%'])).toEqual([]);
  });

  it('requires https outside development', () => {
    expect(() => checkEndpointUrl('http://example.com/hook', false)).toThrow(/https/);
    expect(checkEndpointUrl('https://example.com/hook', false)).toBe('https://example.com/hook');
  });

  it('is for admins and partners only; a partner manages its own, for the events its scopes allow', async () => {
    for (const role of [Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
      const res = await app.gql(CREATE, { input: { url: 'https://example.com/x', events: ['order.recorded'] } }, { role });
      expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const keyA = (await ok(app.gql(CREATE_KEY, { input: { name: 'partner-a', scopes: ['customers:read'] } }))).createApiKey.secret;
    const keyB = (await ok(app.gql(CREATE_KEY, { input: { name: 'partner-b', scopes: ['orders:read'] } }))).createApiKey.secret;
    expect((await asKey(keyA, CREATE, { input: { url: 'https://a.example.com/x', events: ['order.recorded'] } })).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SCOPE' });
    expect((await asKey(keyA, CREATE, { input: { url: 'https://a.example.com/x', events: ['segment.entered'] } })).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const created = await asKey(keyA, CREATE, { input: { url: 'https://a.example.com/x', events: ['customer.updated'] } });
    const id = created.data.createWebhookEndpoint.endpoint.id;
    expect(created.data.createWebhookEndpoint.secret).toMatch(/^whsec_/);
    expect((await asKey(keyA, '{ webhookEndpoints { id } }')).data.webhookEndpoints).toEqual([{ id }]);
    expect((await asKey(keyB, '{ webhookEndpoints { id } }')).data.webhookEndpoints).toEqual([]);
    expect((await asKey(keyB, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // Re-enabling is an admin's decision.
    expect((await asKey(keyA, UPDATE, { input: { id, enabled: true } })).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ADMIN_ONLY' });
    expect((await asKey(keyA, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id })).data.deleteWebhookEndpoint).toBe(true);
  });
});

describe('delivery', () => {
  it('signs per Standard Webhooks; a receiver verifies with the standardwebhooks package; no personal data', async () => {
    const receiver = await startReceiver();
    try {
      const { endpoint, secret } = await endpointFor(receiver.url, ['customer.created', 'consent.changed']);
      const c = await makeCustomer(app, { email: 'signed.person@example.com', firstName: 'Signe' });
      await consent(c.id, 'EMAIL_MARKETING', 'GRANTED');
      await waitFor('two deliveries', () => receiver.received.length >= 2);
      const wh = new Webhook(secret);
      for (const r of receiver.received) {
        expect(wh.verify(r.body, r.headers)).toEqual(r.payload);
        expect(r.headers['webhook-id']).toMatch(/^msg_\d+$/);
        expect(r.body).not.toMatch(/Signe|signed\.person/);
      }
      expect(receiver.received.map((r) => r.payload.type).sort()).toEqual(['consent.changed', 'customer.created']);
      const created = receiver.received.find((r) => r.payload.type === 'customer.created')!;
      expect(created.payload.data.customerId).toBe(c.id);
      // A forged or altered body fails verification.
      const forged = created.body.replace('customer.created', 'customer.erased');
      expect(forged).not.toBe(created.body);
      expect(() => wh.verify(forged, created.headers)).toThrow();
      await waitFor('the log', async () => (await app.gql(DELIVERIES, { id: endpoint.id, status: 'SUCCEEDED' })).data?.webhookDeliveries.totalCount === 2);
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver answering 500 until it recovers, with the same webhook-id', async () => {
    const receiver = await startReceiver((_r, n) => (n === 1 ? 500 : 200));
    try {
      const { endpoint } = await endpointFor(receiver.url, ['customer.created']);
      await makeCustomer(app);
      await waitFor('the recovery', () => receiver.received.length >= 2);
      expect(receiver.received[0].id).toBe(receiver.received[1].id);
      await waitFor('the log', async () => (await app.gql(DELIVERIES, { id: endpoint.id, status: 'SUCCEEDED' })).data?.webhookDeliveries.nodes[0]?.attempts === 2);
    } finally {
      await receiver.close();
    }
  });

  it('gives up on a hanging receiver: dead letter, endpoint disabled; an admin re-enables and replays, held events follow', async () => {
    const receiver = await startReceiver(() => 'hang');
    try {
      const { endpoint } = await endpointFor(receiver.url, ['customer.created']);
      await makeCustomer(app);
      await waitFor('the dead letter', async () => (await app.gql(DELIVERIES, { id: endpoint.id, status: 'DEAD' })).data?.webhookDeliveries.totalCount === 1);
      const [dead] = (await ok(app.gql(DELIVERIES, { id: endpoint.id, status: 'DEAD' }))).webhookDeliveries.nodes;
      expect(dead.attempts).toBe(3);
      expect(dead.responseStatus).toBeNull();
      expect(dead.lastError).toMatch(/no answer within 700 ms/);
      const [ep] = await app.sql<{ status: string; disabled_reason: string }>('select status, disabled_reason from webhook_endpoints where id::text = ?', [Buffer.from(endpoint.id, 'base64url').toString().split(':')[1]]);
      expect(ep).toEqual({ status: 'disabled', disabled_reason: 'persistent delivery failure' });

      // While disabled, new events are held, not lost.
      await makeCustomer(app);
      receiver.setBehaviour(() => 204);
      await ok(app.gql(UPDATE, { input: { id: endpoint.id, enabled: true } }));
      await ok(app.gql(REPLAY, { id: dead.id }));
      await waitFor('replay and held event', async () => (await app.gql(DELIVERIES, { id: endpoint.id, status: 'SUCCEEDED' })).data?.webhookDeliveries.totalCount === 2);
      expect(new Set(receiver.received.filter((r) => r.payload.type === 'customer.created').map((r) => r.id)).size).toBe(2);
    } finally {
      await receiver.close();
    }
  });

  it('sends a partner only the events its scopes allow, about customers who consent to third-party sharing', async () => {
    const receiver = await startReceiver();
    const adminReceiver = await startReceiver();
    try {
      const key = (await ok(app.gql(CREATE_KEY, { input: { name: 'partner-hooks', scopes: ['customers:read'] } }))).createApiKey.secret;
      const created = await asKey(key, CREATE, { input: { url: receiver.url, events: ['customer.updated', 'consent.changed'] } });
      expect(created.errors).toBeUndefined();
      await endpointFor(adminReceiver.url, ['customer.updated']);
      const sharing = await makeCustomer(app);
      const notSharing = await makeCustomer(app);
      await consent(sharing.id, 'THIRD_PARTY_SHARING', 'GRANTED');
      await ok(app.gql(UPSERT, { input: { id: sharing.id, locale: 'de-DE' } }));
      await ok(app.gql(UPSERT, { input: { id: notSharing.id, locale: 'de-DE' } }));
      await waitFor('the admin sees both updates', () => adminReceiver.received.length >= 2);
      await waitFor('the partner sees the consent and the update', () => receiver.received.length >= 2);
      // One more dispatcher round after both: nothing else arrives for the partner.
      await app.server.outbound!.dispatchOnce();
      // Deliveries are not ordered (README "Webhooks": receivers sort by eventId): compare as a set.
      expect(receiver.received.map((r) => [r.payload.type, r.payload.data.customerId]).sort()).toEqual([['consent.changed', sharing.id], ['customer.updated', sharing.id]]);
    } finally {
      await receiver.close();
      await adminReceiver.close();
    }
  });

  it('never sends one attempt twice from several instances', async () => {
    const receiver = await startReceiver();
    const dbUrl = app.orm.config.get('clientUrl')!;
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: dbUrl, ...WEBHOOK_ENV }).webhooks;
    const others = await Promise.all([1, 2].map(() => startOutbound({ databaseUrl: dbUrl, config, logger: createLogger({ logLevel: 'silent' } as never) })));
    try {
      await endpointFor(receiver.url, ['consent.changed']);
      const c = await makeCustomer(app);
      for (let i = 0; i < 10; i++) await consent(c.id, 'EMAIL_MARKETING', i % 2 ? 'GRANTED' : 'WITHDRAWN');
      await waitFor('ten deliveries', () => receiver.ids().size === 10);
      await Promise.all(others.map((o) => o.dispatchOnce()));
      expect(receiver.received.length).toBe(10);
    } finally {
      await Promise.all(others.map((o) => o.stop()));
      await receiver.close();
    }
  });

  it('loses nothing when the API is restarted mid-delivery', async () => {
    let hold = true;
    const receiver = await startReceiver(() => (hold ? 'hang' : 200));
    const { endpoint } = await endpointFor(receiver.url, ['consent.changed']);
    const c = await makeCustomer(app);
    await consent(c.id, 'EMAIL_MARKETING', 'GRANTED');
    await waitFor('the first attempt in flight', () => receiver.received.length >= 1);
    // The instance dies with the attempt in flight (no graceful hand-back) and is replaced.
    await app.server.outbound!.stop({ graceful: false });
    await app.server.close();
    // Written while no instance runs: the outbox keeps it.
    await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version)
                   values (?, 'email_marketing', 'any', 'withdrawn', 'consent', 'direct-sql', 'v1')`, [Buffer.from(c.id, 'base64url').toString().split(':')[1]]);
    hold = false;
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: app.orm.config.get('clientUrl')!, LOG_LEVEL: 'silent', ...WEBHOOK_ENV });
    const restarted = await createServer({ orm: app.orm, config, logger: createLogger(config) });
    try {
      const expected = (await app.sql<{ id: string }>(`select id::text from outbox_events where type = 'consent.changed' and customer_id::text = ? order by id`, [Buffer.from(c.id, 'base64url').toString().split(':')[1]])).map((r) => `msg_${r.id}`);
      expect(expected.length).toBe(2);
      await waitFor('every event delivered', async () => (await app.sql<{ n: string }>(`select count(*) as n from webhook_deliveries where endpoint_id::text = ? and status = 'succeeded'`, [Buffer.from(endpoint.id, 'base64url').toString().split(':')[1]]))[0].n === '2');
      for (const id of expected) expect(receiver.ids().has(id)).toBe(true);
    } finally {
      await restarted.close();
      await receiver.close();
      // app.close() closes the first server again (a no-op) and drops the database.
    }
  });
});
