import { Client } from 'pg';
import { createTestDatabase } from '../helpers/test-server';

/**
 * Outbox events of a type no webhook endpoint subscribes to are written already dispatched
 * (Migration20261206164500). That depends on which endpoints exist, so a subscription and the writers
 * are serialised: an endpoint created (or re-subscribed) while a writer is in flight waits for its
 * commit, and every event committed after the subscription is left for the dispatcher.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const clients: Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()));
  await db.drop();
});

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  clients.push(c);
  return c;
}

const dispatched = async (c: Client, customerId: string) =>
  (await c.query<{ type: string; dispatched: boolean }>(
    `select type, dispatched_at is not null as dispatched from outbox_events where customer_id = $1 and type = 'interaction.recorded' order by id`, [customerId],
  )).rows.map((r) => r.dispatched);

/** Whether backend `pid` is waiting for a lock. */
const waiting = async (c: Client, pid: number) =>
  (await c.query<{ w: boolean }>(`select wait_event_type = 'Lock' as w from pg_stat_activity where pid = $1`, [pid])).rows[0]?.w === true;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

it('waits with a new subscription for the writers in flight, and leaves every later event to the dispatcher', async () => {
  const writer = await connect();
  const admin = await connect();
  const observer = await connect();
  const { rows: [{ id: customerId }] } = await observer.query<{ id: string }>(`insert into customers (status) values ('active') returning id`);
  const interaction = (c: Client) => c.query(`insert into interactions (customer_id, occurred_at, channel, type, properties) values ($1, now(), 'web', 'page_view', '{}')`, [customerId]);

  // No endpoint yet: the event is written dispatched, in a transaction still open.
  await writer.query('begin');
  await interaction(writer);
  // The subscription waits for that transaction...
  const { rows: [{ pid: adminPid }] } = await admin.query<{ pid: number }>('select pg_backend_pid() as pid');
  const subscribing = admin.query(`insert into webhook_endpoints (url, events, secret, created_by) values ('https://hooks.example.com/a', '{interaction.recorded}', 'whsec_test', 'test')`);
  await until('the subscription to wait for the writer', () => waiting(observer, adminPid));
  // ...and a writer starting meanwhile waits for the subscription.
  const second = await connect();
  const { rows: [{ pid: secondPid }] } = await second.query<{ pid: number }>('select pg_backend_pid() as pid');
  const later = interaction(second);
  await until('the later writer to wait for the subscription', () => waiting(observer, secondPid));
  await writer.query('commit');
  await subscribing;
  await later;
  // The first event was committed before anyone subscribed; the later one after: it is pending.
  expect(await dispatched(observer, customerId)).toEqual([true, false]);
  // Later events too.
  await interaction(writer);
  expect(await dispatched(observer, customerId)).toEqual([true, false, false]);
});

it('treats an endpoint re-subscribed to another type as a new subscription', async () => {
  const c = await connect();
  await c.query(`delete from webhook_endpoints`);
  const { rows: [{ id: customerId }] } = await c.query<{ id: string }>(`insert into customers (status) values ('active') returning id`);
  const { rows: [{ id: endpointId }] } = await c.query<{ id: string }>(
    `insert into webhook_endpoints (url, events, secret, created_by) values ('https://hooks.example.com/b', '{order.recorded}', 'whsec_test', 'test') returning id`,
  );
  const interaction = () => c.query(`insert into interactions (customer_id, occurred_at, channel, type, properties) values ($1, now(), 'web', 'page_view', '{}')`, [customerId]);
  await interaction();
  await c.query(`update webhook_endpoints set events = '{order.recorded,interaction.recorded}' where id = $1`, [endpointId]);
  await interaction();
  await c.query(`delete from webhook_endpoints where id = $1`, [endpointId]);
  await interaction();
  expect(await dispatched(c, customerId)).toEqual([true, false, true]);
});
