import { Client } from 'pg';
import { createTestDatabase } from '../helpers/test-server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startOutbound, type Outbound } from '../../src/outbound/delivery-worker';
import { startReceiver, waitFor } from './receiver';

/**
 * The dispatcher keeps up with a backlog of events no endpoint subscribes to: a full batch of events
 * fanned out means more is waiting, whatever the number of deliveries it made. With a poll interval
 * of a minute (the longest allowed) and half of that to wait, only that rule can dispatch 1,200
 * events (rounds of at most 500) in time.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let c: Client;
let outbound: Outbound | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  c = new Client({ connectionString: db.url });
  await c.connect();
});

afterAll(async () => {
  await outbound?.stop();
  await c.end();
  await db.drop();
});

it('dispatches a backlog larger than one batch without waiting for the next poll', async () => {
  await c.query(`insert into outbox_events (type, data) select 'interaction.recorded', '{}'::jsonb from generate_series(1, 1200)`);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '60000' }).webhooks;
  outbound = await startOutbound({ databaseUrl: db.url, config, logger: createLogger({ logLevel: 'silent' } as never) });
  const pending = async () => Number((await c.query<{ n: string }>('select count(*) n from outbox_events where dispatched_at is null')).rows[0].n);
  await waitFor('the whole backlog dispatched', async () => (await pending()) === 0, 30_000);
  expect(Number((await c.query<{ n: string }>('select count(*) n from webhook_deliveries')).rows[0].n)).toBe(0);
  // The retry policy the defaults give the queue (README "Delivery"; the webhook tests retry at once).
  expect((await c.query(`select retry_limit, retry_delay, retry_backoff, expire_seconds, dead_letter from pgboss.queue where name = 'webhook-delivery'`)).rows)
    .toEqual([{ retry_limit: 12, retry_delay: 15, retry_backoff: true, expire_seconds: 60, dead_letter: 'webhook-dead-letter' }]);
});

it('sends a backlog of deliveries one after another, not one per poll interval', async () => {
  // pg-boss waits a polling interval after every fetch, one that found a job too: with one job per fetch,
  // a worker sent one delivery per WEBHOOK_POLL_MS. With the longest interval (a minute) and half of it
  // to wait, 20 deliveries arrive only if a worker that handled a job asks for the next at once, and the
  // dispatcher wakes it when it queued them.
  await outbound?.stop();
  outbound = undefined;
  const receiver = await startReceiver();
  try {
    await c.query(`insert into webhook_endpoints (url, secret, events, created_by) values ($1, 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=', '{customer.created}', 'test')`, [receiver.url]);
    await c.query(`insert into outbox_events (type, data) select 'customer.created', '{}'::jsonb from generate_series(1, 20)`);
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '60000' }).webhooks;
    outbound = await startOutbound({ databaseUrl: db.url, config, logger: createLogger({ logLevel: 'silent' } as never) });
    await waitFor('20 deliveries', () => receiver.ids().size === 20, 30_000);
    await waitFor('20 deliveries logged', async () =>
      Number((await c.query<{ n: string }>(`select count(*) n from webhook_deliveries where status = 'succeeded'`)).rows[0].n) === 20, 30_000);
  } finally {
    await outbound?.stop();
    outbound = undefined;
    await receiver.close();
  }
});
