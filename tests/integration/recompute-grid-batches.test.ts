/**
 * recomputeMetrics's prediction grid goes to PostgreSQL in batches of 20,000 (x, whole days of T)
 * cells: a population of 10,002 buyers whose cells never coincide makes 20,004 of them, two batches.
 * Apart from recompute-runs.test.ts (the `recompute` mutation scope's file) for its size.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { recomputeMetrics } from '../../src/analytics/recompute';

let app: TestApp;
const DAY = 86_400_000;
const now = new Date(Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000);
const PAIRS = 5_001;

beforeAll(async () => {
  app = await startTestApp();
  await app.sql(`insert into customers (email, created_at) select 'grid' || j || '@example.com', now() - interval '30 years' from generate_series(0, ${2 * PAIRS - 1}) j`);
  // Customer j: pair p = j / 2 first bought 2p + 30 days (and an hour) before now; odd j bought again
  // 10 days before now. Cells (x, d) and (x, d + 1) for x = j % 2, d = 2p + 30: all distinct.
  await app.sql(
    `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
     select c.id, case k when 0 then ?::timestamptz - make_interval(days => 2 * (j / 2) + 30, hours => 1) else ?::timestamptz - interval '10 days' end,
            'web', 'delivered', 'EUR', 1000 + j % 7 * 100, 1000 + j % 7 * 100, 'test', 'grid-' || j || '-' || k
     from generate_series(0, ${2 * PAIRS - 1}) j
     join customers c on c.email = 'grid' || j || '@example.com'
     cross join lateral generate_series(0, j % 2) k`,
    [now, now],
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
});

it('writes a grid of more than one batch, each cell once, and predicts for every buyer', async () => {
  const summary = await recomputeMetrics(app.orm.em.fork() as EntityManager, { asOf: now });
  expect(summary.purchaseModel).not.toBeNull();
  expect(summary.modelGroups).toBe(4 * PAIRS);
  const [{ missing, buyers }] = await app.sql<{ missing: string; buyers: string }>(
    `select count(*) filter (where predicted_purchases12m is null) as missing, count(*) as buyers from customer_metrics where orders_count > 0`);
  expect([Number(missing), Number(buyers)]).toEqual([0, 2 * PAIRS]);
}, 120_000);
