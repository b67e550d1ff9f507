import pg from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';
import { pruneOutbox } from '../../src/outbound/delivery-worker';
import { startReceiver, waitFor } from './receiver';

/**
 * Outbox durability and retention (README "The outbox"): pruning deletes only what every consumer is
 * done with, in batches; a delivery whose queue job was lost is queued again and arrives.
 */

// The outbound half in this server, fast: pruning every second with no retention, lost jobs requeued after 1 s.
const ENV = {
  WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '100', WEBHOOK_RETRY_LIMIT: '2', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_ATTEMPT_TIMEOUT_MS: '2000',
  WEBHOOK_EXPIRE_SECONDS: '5', WEBHOOK_MAINTENANCE_SECONDS: '1', OUTBOX_RETENTION_HOURS: '0', OUTBOX_PRUNE_INTERVAL_SECONDS: '1', WEBHOOK_REQUEUE_AFTER_SECONDS: '1',
};

let app: TestApp;
// Servers of their own for two tests (see there), started beside the shared one.
let quiet: TestApp;
let retaining: TestApp;

beforeAll(async () => {
  [app, quiet, retaining] = await Promise.all([startTestApp(ENV), startTestApp({ LIVE_RELAY_POLL_MS: '0' }), startTestApp({ ...ENV, OUTBOX_RETENTION_HOURS: '24' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([app?.close(), quiet?.close(), retaining?.close()]);
});

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`;
const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

describe('pruning', () => {
  it('deletes, in batches, the old events every consumer is done with, and keeps everything still owed to someone', async () => {
    // Rows as the triggers and consumers leave them, in a server of its own whose outbound half does not
    // run (it would prune and dispatch them itself) and whose live relay is off (it would mark the
    // unrelayed segment.entered event relayed, and so prunable, whenever its poll fell before the prune),
    // pruned by hand.
    {
      const app = quiet;
      const [{ id: endpointId }] = await app.sql<{ id: string }>(
        `insert into webhook_endpoints (url, secret, events, status, created_by) values ('http://127.0.0.1:9/none', 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=', '{customer.created}', 'disabled', 'test') returning id`);
      const pool = new pg.Pool({ connectionString: app.config.databaseUrl, max: 2 });
      const old = `now() - interval '3 days'`;
      const ev = async (label: string, type: string, dispatched: boolean, relayed: boolean | null, occurred = old) => {
        const [r] = await app.sql<{ id: string }>(
          `insert into outbox_events (type, data, occurred_at, dispatched_at, live_relayed_at) values (?, jsonb_build_object('label', ?::text), ${occurred}, ${dispatched ? 'now()' : 'null'}, ${relayed ? 'now()' : 'null'}) returning id`,
          [type, label]);
        return String(r.id);
      };
      const delivery = (eventId: string, status: string) =>
        app.sql(`insert into webhook_deliveries (endpoint_id, event_id, event_type, status, queued_at) values (?, ?, 'customer.created', ?, now())`, [endpointId, eventId, status]);

      const done = await ev('done', 'customer.created', true, null);
      const delivered = await ev('delivered', 'customer.created', true, null);
      await delivery(delivered, 'succeeded');
      const skipped = await ev('skipped', 'customer.created', true, null);
      await delivery(skipped, 'skipped');
      const pending = await ev('pending', 'customer.created', true, null);
      await delivery(pending, 'pending');
      const dead = await ev('dead', 'customer.created', true, null);
      await delivery(dead, 'dead');
      const undispatched = await ev('undispatched', 'customer.created', false, null);
      const unrelayed = await ev('unrelayed', 'segment.entered', true, false);
      const relayed = await ev('relayed', 'lifecycle.changed', true, true);
      const recent = await ev('recent', 'customer.created', true, null, `now() - interval '1 hour'`);
      const filler: string[] = [];
      for (let i = 0; i < 23; i++) filler.push(await ev(`filler-${i}`, 'order.recorded', true, null));

      const pruned = await pruneOutbox(pool, { retentionHours: 24, batch: 4 });
      const left = new Set((await app.sql<{ id: string }>(`select id from outbox_events where data ? 'label'`)).map((r) => String(r.id)));
      const gone = [done, delivered, skipped, relayed, ...filler];
      expect(pruned).toBe(gone.length);
      for (const id of gone) expect(left.has(id)).toBe(false);
      for (const id of [pending, dead, undispatched, unrelayed, recent]) expect(left.has(id)).toBe(true);
      // The finished deliveries went with their events; those still owed stay, their events with them.
      const deliveries = await app.sql<{ event_id: string; status: string }>('select event_id, status from webhook_deliveries where endpoint_id = ? order by status', [endpointId]);
      expect(deliveries.map((d) => [String(d.event_id), d.status])).toEqual([[dead, 'dead'], [pending, 'pending']]);

      // Deleting the endpoint releases what it held: the next pruning takes those events too.
      await app.sql('delete from webhook_endpoints where id = ?', [endpointId]);
      expect(await pruneOutbox(pool, { retentionHours: 24, batch: 4 })).toBe(2);
      await pool.end();
    }
  }, 120_000);

  it('runs in the server: an event delivered to every endpoint is pruned, with no retention, once done', async () => {
    const receiver = await startReceiver();
    try {
      await ok(app.gql(CREATE, { input: { url: receiver.url, events: ['customer.created'] } }));
      const c = await makeCustomer(app);
      // The event's id from its delivery, not from the outbox: with no retention, the event can be
      // dispatched, delivered and pruned before a select made after makeCustomer returns.
      const sent = () => receiver.received.find((r) => r.payload.type === 'customer.created' && r.payload.data.customerId === c.id);
      await waitFor('the delivery', () => sent() !== undefined);
      const eventId = String(sent()!.payload.data.eventId);
      expect(sent()!.id).toBe(`msg_${eventId}`);
      await waitFor('the pruning', async () => (await app.sql('select 1 from outbox_events where id = ?', [eventId])).length === 0);
    } finally {
      await receiver.close();
    }
  });
});

describe('a lost queue job', () => {
  it('is found and its delivery queued again: the receiver gets the event', async () => {
    // A server of its own that keeps outbox events a day: with the shared server's zero retention, pruning
    // could take the delivered event, and its delivery row with it, before the test reads the row (seen in CI).
    const app = retaining;
    const receiver = await startReceiver();
    try {
      const { createWebhookEndpoint } = await ok(app.gql(CREATE, { input: { url: receiver.url, events: ['consent.changed'] } }));
      const endpointId = dbId(createWebhookEndpoint.endpoint.id);
      // An event, dispatched, its delivery queued long ago, and no job for it in the queue any more
      // (what pg-boss leaves after dropping a job nobody worked within its retention).
      const c = await makeCustomer(app);
      await ok(app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: ANALYTICS, status: GRANTED, source: "t", policyVersion: "v1" }) { id } }`, { c: c.id }));
      const [event] = await app.sql<{ id: string }>(`select id from outbox_events where type = 'consent.changed' and customer_id = ?`, [dbId(c.id)]);
      await waitFor('the first delivery', () => receiver.received.some((r) => r.id === `msg_${event.id}`));
      // The receiver has the request before the attempt has written its outcome: until the row says
      // succeeded, that write is still to come, and would land on the faked loss below (status back to
      // succeeded, nothing to requeue, the redelivery never comes).
      const first = async () => (await app.sql<{ id: string; job_id: string; status: string }>(
        'select id, job_id, status from webhook_deliveries where endpoint_id = ? and event_id = ?', [endpointId, event.id]))[0];
      await waitFor('the first attempt\'s log', async () => (await first())?.status === 'succeeded');
      const delivery = await first();
      expect(delivery.job_id).toMatch(/^[0-9a-f-]{36}$/);
      // Make it look lost: pending again, queued an hour ago, under a job id the queue never had.
      await app.sql(`update webhook_deliveries set status = 'pending', queued_at = now() - interval '1 hour', job_id = gen_random_uuid() where id = ?`, [delivery.id]);
      const before = receiver.received.length;
      await waitFor('the redelivery', () => receiver.received.length > before && receiver.received.slice(before).some((r) => r.id === `msg_${event.id}`));
      await waitFor('the log', async () => (await app.sql<{ status: string }>('select status from webhook_deliveries where id = ?', [delivery.id]))[0].status === 'succeeded');
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('leaves alone a delivery whose job is only waiting for its next retry', async () => {
    const outbound = app.server.outbound!;
    const [job] = await app.sql<{ id: string }>(
      `insert into pgboss.job (name, data, state, start_after) values ('webhook-delivery', '{}'::jsonb, 'retry', now() + interval '1 hour') returning id`);
    const [{ id: endpointId }] = await app.sql<{ id: string }>(
      `insert into webhook_endpoints (url, secret, events, status, created_by) values ('http://127.0.0.1:9/none', 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=', '{customer.created}', 'active', 'test') returning id`);
    const [{ id: eventId }] = await app.sql<{ id: string }>(`insert into outbox_events (type, dispatched_at) values ('customer.created', now()) returning id`);
    const [d] = await app.sql<{ id: string }>(
      `insert into webhook_deliveries (endpoint_id, event_id, event_type, status, queued_at, job_id) values (?, ?, 'customer.created', 'pending', now() - interval '1 hour', ?) returning id`,
      [endpointId, eventId, job.id]);
    await outbound.requeueLost();
    const [row] = await app.sql<{ queued_at: Date | null; job_id: string }>('select queued_at, job_id from webhook_deliveries where id = ?', [d.id]);
    expect(row.job_id).toBe(job.id);
    expect(row.queued_at).not.toBeNull();
    await app.sql('delete from webhook_endpoints where id = ?', [endpointId]);
    await app.sql(`delete from pgboss.job where name = 'webhook-delivery' and id = ?`, [job.id]);
  });
});
