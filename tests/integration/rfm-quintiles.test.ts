import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { runAnalytics } from '../../src/analytics/run';

/**
 * RFM quintile boundaries on a population whose ranks are known: 60 buyers with distinct recency,
 * frequency and average order value, so each score must go to exactly 12 of them, in rank order
 * (score = 1 + floor(5 · (rank − 1) / n), rank 1 = the worst). Off-by-one boundaries move the
 * customers at ranks 12, 24, 36 and 48 (or 60) to a neighbouring score.
 */
const N = 60;
let app: TestApp;

// Customer i: last order 1 + i days ago; 1 + (7i mod 60) orders; (10 + (13i mod 60)) EUR per order.
// 7 and 13 are coprime with 60, so each metric ranks the 60 customers in a different order.
const recencyRank = (i: number) => N - i; // the oldest last order (i = 59) ranks first
const frequencyRank = (i: number) => 1 + ((7 * i) % N);
const monetaryRank = (i: number) => 1 + ((13 * i) % N);
const quintile = (rank: number) => 1 + Math.floor((5 * (rank - 1)) / N);

beforeAll(async () => {
  app = await startTestApp();
  await app.sql(`insert into customers (email, created_at) select 'rfm' || i || '@example.com', now() - interval '400 days' from generate_series(0, ${N - 1}) i`);
  // Order k = 0 is the latest; the others are spread 100+ days back.
  await app.sql(
    `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
     select c.id, case when k = 0 then now() - make_interval(days => 1 + i) else now() - make_interval(days => 100 + 3 * k) end,
            'web', 'delivered', 'EUR', (10 + (13 * i) % ${N}) * 100, (10 + (13 * i) % ${N}) * 100, 'test', 'rfm-' || i || '-' || k
     from generate_series(0, ${N - 1}) i
     join customers c on c.email = 'rfm' || i || '@example.com'
     cross join lateral generate_series(0, (7 * i) % ${N}) k`,
  );
  expect(await runAnalytics(app.orm.em.fork() as EntityManager)).not.toBeNull();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

it('gives each RFM score to exactly a fifth of the buyers, at the rank boundaries', async () => {
  const res = await app.gql(`{ customers(first: 100) { nodes { email value { rfm { recency frequency monetary } } } } }`);
  expect(res.errors).toBeUndefined();
  const got = Object.fromEntries(
    (res.data.customers.nodes as Array<{ email: string; value: { rfm: Record<string, number> } }>).map((n) => [n.email, n.value.rfm]),
  );
  const expected = Object.fromEntries(
    Array.from({ length: N }, (_, i) => [`rfm${i}@example.com`, { recency: quintile(recencyRank(i)), frequency: quintile(frequencyRank(i)), monetary: quintile(monetaryRank(i)) }]),
  );
  expect(got).toEqual(expected);
  for (const key of ['recency', 'frequency', 'monetary'] as const) {
    const perScore = [1, 2, 3, 4, 5].map((s) => Object.values(got).filter((r) => r[key] === s).length);
    expect({ key, perScore }).toEqual({ key, perScore: [12, 12, 12, 12, 12] });
  }
});
