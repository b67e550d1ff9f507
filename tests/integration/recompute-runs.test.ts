/**
 * recomputeMetrics end to end on a small population (no demo seed), run with each of its options:
 * what each option changes in the written metrics and the returned summary, the checks of its input,
 * the operator's settings a swap carries over and the tables it refuses to swap out. Light enough to
 * be the `recompute` mutation scope's test file (stryker.config.mjs).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { adminQuery } from '../helpers/pg';
import { recomputeMetrics, modelVersion, choosePurchaseModel, pAliveSql, type RecomputeOptions } from '../../src/analytics/recompute';
import type { SummaryRow } from '../../src/analytics/transactions';
import * as models from '../../src/analytics/models';

let app: TestApp;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const N = 60;
const ids: Record<string, string> = {};
// Whole seconds: PostgreSQL keeps microseconds, the metrics are compared with values computed here.
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const suffix = `${process.pid}_${Date.now()}`;
const OWNER = `rapport_test_rc_owner_${suffix}`;
const READER = `rapport_test_rc_reader_${suffix}`;
const LONG_INDEX = `rc_${'x'.repeat(60)}`;

const run = (opts: RecomputeOptions = {}) => recomputeMetrics(app.orm.em.fork() as EntityManager, { asOf: now, ...opts });
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const metrics = async (name: string): Promise<Row> => (await app.sql<Row>('select * from customer_metrics where customer_id = ?', [ids[name]]))[0];

async function customer(name: string, orders: Array<{ at: Date; total: number; status?: string }>): Promise<void> {
  const [c] = await app.sql<{ id: string }>(`insert into customers (email, created_at) values (?, now() - interval '1200 days') returning id`, [`${name}@example.com`]);
  ids[name] = c.id;
  for (const [i, o] of orders.entries()) {
    await app.sql(
      `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
       values (?, ?, 'web', ?, 'EUR', ?, ?, 'test', ?)`,
      [c.id, o.at, o.status ?? 'delivered', o.total, o.total, `${name}-${i}`],
    );
  }
}
const ago = (days: number) => new Date(now.getTime() - days * DAY);

beforeAll(async () => {
  app = await startTestApp();
  // 60 buyers of varied recency, frequency and value (as in rfm-quintiles.test.ts): enough to fit the models.
  await app.sql(`insert into customers (email, created_at) select 'rc' || i || '@example.com', now() - interval '400 days' from generate_series(0, ${N - 1}) i`);
  await app.sql(
    `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
     select c.id, case when k = 0 then ?::timestamptz - make_interval(days => 1 + i) else ?::timestamptz - make_interval(days => 100 + 3 * k) end,
            'web', 'delivered', 'EUR', (10 + (13 * i) % ${N}) * 100, (10 + (13 * i) % ${N}) * 100, 'test', 'rc-' || i || '-' || k
     from generate_series(0, ${N - 1}) i
     join customers c on c.email = 'rc' || i || '@example.com'
     cross join lateral generate_series(0, (7 * i) % ${N}) k`,
    [now, now],
  );
  await customer('repeat', [{ at: ago(200), total: 5000 }, { at: ago(100), total: 7000 }]);
  await customer('once', [{ at: ago(300), total: 4000 }]);
  await customer('lost', [{ at: ago(1000), total: 2000 }]);
  await customer('wonback', [{ at: ago(900), total: 3000 }, { at: ago(880), total: 3000 }, { at: ago(20), total: 3000 }]);
  await customer('returner', [{ at: ago(50), total: 8000, status: 'returned' }, { at: ago(40), total: 1000 }]);
  // Two orders an hour apart across UTC midnight: two calendar days in UTC, one in Tokyo (UTC+9).
  const midnight = new Date(Math.floor(ago(60).getTime() / DAY) * DAY);
  await customer('midnight', [{ at: new Date(midnight.getTime() - 30 * 60_000), total: 2500 }, { at: new Date(midnight.getTime() + 30 * 60_000), total: 2500 }]);
  await app.sql(`insert into customers (email) values ('prospect@example.com')`);
  ids.prospect = (await app.sql<{ id: string }>(`select id from customers where email = 'prospect@example.com'`))[0].id;
}, 120_000);

afterAll(async () => {
  if (app) {
    await app.sql(`drop owned by ${OWNER}, ${READER}`).catch(() => {});
    await app.close();
    for (const role of [OWNER, READER]) await adminQuery(process.env.RAPPORT_TEST_ADMIN_URL!, `drop role if exists ${role}`);
  }
});

describe('a run with the defaults', () => {
  it('writes every active customer, scores in SQL what the models give, and reports what it did', async () => {
    const logs: Array<{ msg: string; data?: Record<string, unknown> }> = [];
    const started = Date.now();
    const summary = await run({ log: (msg, data) => logs.push({ msg, data }) });
    const elapsed = Date.now() - started;
    const [counts] = await app.sql<{ active: string; buyers: string; metrics: string }>(
      `select (select count(*) from customers where status = 'active') as active,
              (select count(distinct customer_id) from orders where status not in ('cancelled', 'returned')) as buyers,
              (select count(*) from customer_metrics) as metrics`);
    expect(summary.customers).toBe(Number(counts.active));
    expect(Number(counts.metrics)).toBe(Number(counts.active));
    expect(summary.withOrders).toBe(Number(counts.buyers));
    const pm = summary.purchaseModel!;
    expect(pm.candidates!.map((c) => c.model).sort()).toEqual(['bgnbd', 'mbgnbd']);
    expect(summary.modelVersion).toBe(`rfm-q5+${pm.model}+gg/2`);
    expect(modelVersion(null)).toBe('rfm-q5+none+gg/2');
    expect((await metrics('repeat')).model_version).toBe(summary.modelVersion);
    expect(Object.keys(summary.timingsMs).sort()).toEqual(
      ['aggregate', 'fitGammaGamma', 'fitPurchases', 'history', 'insert', 'lifecycle', 'predict', 'sample', 'score', 'swap']);
    // Durations in milliseconds, each within the run's own.
    for (const ms of Object.values(summary.timingsMs)) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(elapsed);
    }
    expect(logs).toEqual([{ msg: 'metrics recomputed', data: { timings: summary.timingsMs, model: pm.model } }]);
    const [run0] = await app.sql<{ id: string }>('select id from analytics_runs order by id desc limit 1');
    expect(String(run0.id)).toBe(String(summary.runId));

    // The (x, whole days of T) grid: both neighbours of each buyer's cell, each once.
    const [grid] = await app.sql<{ n: string }>(
      `select count(*) as n from (select distinct x, d + k as d from (
         select greatest(frequency, 0) as x, floor(extract(epoch from ?::timestamptz - t.first_at) / 86400)::int as d
         from customer_metrics m join lateral (select min(placed_at) as first_at from orders o
           where o.customer_id = m.customer_id and o.status not in ('cancelled', 'returned')) t on true
         where m.orders_count > 0) c cross join generate_series(0, 1) k) g`, [now]);
    expect(summary.modelGroups).toBe(Number(grid.n));

    // A repeat buyer: P(alive), churn risk (90 days by default) and 12-month purchases, in exact weeks.
    const m = await metrics('repeat');
    const T = (now.getTime() - new Date(m.first_order_at).getTime()) / WEEK;
    const tx = (new Date(m.last_order_at).getTime() - new Date(m.first_order_at).getTime()) / WEEK;
    expect(m.frequency).toBe(1);
    expect(m.p_alive).toBeCloseTo(models.betaGeoProbabilityAlive(pm.model, pm.params, 1, tx, T), 10);
    expect(m.churn_risk).toBeCloseTo(models.betaGeoProbabilityNoPurchase(pm.model, pm.params, 90 / 7, 1, tx, T), 10);
    const purchases = models.betaGeoExpectedPurchases(pm.model, pm.params, 12 * models.WEEKS_PER_MONTH, 1, tx, T);
    expect(Math.abs(m.predicted_purchases12m / purchases - 1)).toBeLessThan(1e-4);
    // CLV: the discounted purchases of 12 months at 1 % a month, times Gamma-Gamma's expected spend of
    // the repeat transactions (7000 here), no cost to serve: margin CLV = CLV.
    const gg = summary.gammaGamma!;
    const spend = (gg.p * (gg.v + 7000)) / (gg.p * 1 + gg.q - 1);
    expect(m.expected_spend_minor).toBeCloseTo(spend, 6);
    const discounted = m.p_alive * models.discountedPurchasesIfAlive(pm.model, pm.params, 1, T, { horizonMonths: 12, monthlyDiscountRate: 0.01 });
    expect(Math.abs(Number(m.clv12m_minor) - discounted * spend)).toBeLessThan(1 + 1e-4 * discounted * spend);
    expect(Number(m.margin_clv12m_minor)).toBe(Number(m.clv12m_minor));
    // A buyer without repeat transactions gets the population mean pv/(q − 1).
    expect((await metrics('once')).expected_spend_minor).toBeCloseTo((gg.p * gg.v) / (gg.q - 1), 6);

    expect((await metrics('prospect'))).toMatchObject({ lifecycle_stage: 'prospect', p_alive: null, churn_risk: null, value_tier: 'maintain' });
    expect((await metrics('wonback')).lifecycle_stage).toBe('won_back');
    expect((await metrics('lost')).lifecycle_stage).toBe('lapsed');
    expect((await metrics('returner')).value_tier).toBe('below_zero');
    expect((await metrics('midnight')).frequency).toBe(1);

    // Announced: every customer's first stage, once, in customer order.
    const events = await app.sql<{ customer_id: string; data: { from: string | null; to: string } }>(
      `select customer_id, data from outbox_events where type = 'lifecycle.changed' order by id`);
    const stages = await app.sql<{ customer_id: string; lifecycle_stage: string }>('select customer_id, lifecycle_stage from customer_metrics order by customer_id');
    expect(events).toEqual(stages.map((s) => ({ customer_id: s.customer_id, data: { from: null, to: s.lifecycle_stage } })));
  });
});

describe('options', () => {
  it('uses the given horizon, discount rate, cost to serve and churn horizon', async () => {
    const asOf = ago(10);
    const summary = await run({ asOf, horizonMonths: 6, monthlyDiscountRate: 0.05, costToServeMinor: 700, churnHorizonDays: 30 });
    const pm = summary.purchaseModel!;
    const gg = summary.gammaGamma!;
    const m = await metrics('repeat');
    expect(new Date(m.computed_at).getTime()).toBe(asOf.getTime());
    const T = (asOf.getTime() - new Date(m.first_order_at).getTime()) / WEEK;
    const tx = (new Date(m.last_order_at).getTime() - new Date(m.first_order_at).getTime()) / WEEK;
    expect(m.churn_risk).toBeCloseTo(models.betaGeoProbabilityNoPurchase(pm.model, pm.params, 30 / 7, 1, tx, T), 10);
    const spend = (gg.p * (gg.v + 7000)) / (gg.p * 1 + gg.q - 1);
    const discounted = m.p_alive * models.discountedPurchasesIfAlive(pm.model, pm.params, 1, T, { horizonMonths: 6, monthlyDiscountRate: 0.05 });
    expect(Math.abs(Number(m.clv12m_minor) - discounted * spend)).toBeLessThan(1 + 1e-4 * discounted * spend);
    // Two orders over two transactions: 700 per order, 700 per transaction off each expected transaction's value.
    expect(Math.abs(Number(m.margin_clv12m_minor) - discounted * (spend - 700))).toBeLessThan(1 + 1e-4 * discounted * spend);
  });

  it('takes calendar days in the given time zone', async () => {
    await run({ timeZone: 'Asia/Tokyo' });
    expect((await metrics('midnight'))).toMatchObject({ frequency: 0, orders_count: 2 });
    await run();
    expect((await metrics('midnight'))).toMatchObject({ frequency: 1, orders_count: 2 });
  });

  it('chooses the purchase model on the holdout only when there is one, and on the choice sample', async () => {
    const all = await run();
    expect(all.purchaseModel!.candidates).toHaveLength(2);
    // Every buyer's first order lies after a holdout of 1000 weeks' start: nothing to calibrate on.
    const noHoldout = await run({ holdoutWeeks: 1000 });
    expect(noHoldout.purchaseModel).toMatchObject({ model: 'mbgnbd', candidates: null });
    // A choice sample below 20 customers: no choice, the MBG/NBD.
    const small = await run({ choiceSampleSize: 19 });
    expect(small.purchaseModel).toMatchObject({ model: 'mbgnbd', candidates: null });
    // A choice sample of 50 of the 66 buyers: the candidates' holdout likelihoods are those of 50, not of
    // all. (Which 50 depends on the ids' hashes; 36 buyers bought before the holdout, 30 did not, so any
    // 50 hold at least 20 that can be calibrated on: the choice is always made.)
    const fifty = await run({ choiceSampleSize: 50 });
    expect(fifty.purchaseModel!.candidates).toHaveLength(2);
    expect(fifty.purchaseModel!.candidates!.map((c) => c.holdoutLogLikelihood)).not.toEqual(all.purchaseModel!.candidates!.map((c) => c.holdoutLogLikelihood));
  });

  it('fits on the fit sample and Gamma-Gamma on the spend sample, and scores nothing from too few', async () => {
    const all = await run();
    const forty = await run({ fitSampleSize: 40 });
    expect(forty.purchaseModel!.logLikelihood).not.toBe(all.purchaseModel!.logLikelihood);
    // 20 customers are enough (the minimum), 19 are not.
    const twenty = await run({ fitSampleSize: 20 });
    expect(twenty.purchaseModel).not.toBeNull();
    const none = await run({ fitSampleSize: 19 });
    expect(none).toMatchObject({ purchaseModel: null, gammaGamma: null, modelGroups: 0, modelVersion: 'rfm-q5+none+gg/2' });
    expect(Object.keys(none.timingsMs).sort()).toEqual(['aggregate', 'fitPurchases', 'history', 'insert', 'lifecycle', 'sample', 'score', 'swap']);
    expect(await metrics('repeat')).toMatchObject({ p_alive: null, churn_risk: null, predicted_purchases12m: null, clv12m_minor: null, r_score: expect.any(Number) });
    const spend = await run({ spendSampleSize: 30 });
    expect(spend.gammaGamma).not.toEqual(all.gammaGamma);
    expect((await run({ spendSampleSize: 20 })).gammaGamma).not.toBeNull();
    const noSpend = await run({ spendSampleSize: 19 });
    expect(noSpend.gammaGamma).toBeNull();
    expect(noSpend.purchaseModel).not.toBeNull();
    expect(await metrics('repeat')).toMatchObject({ expected_spend_minor: null, clv12m_minor: null, p_alive: expect.any(Number) });
  });

  it('refuses a cost to serve that is not a non-negative whole number of minor units, and changes nothing', async () => {
    await run();
    const before = await app.sql('select * from customer_metrics order by customer_id');
    for (const costToServeMinor of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(run({ costToServeMinor })).rejects.toThrow('costToServeMinor must be a non-negative integer');
    }
    expect(await app.sql('select * from customer_metrics order by customer_id')).toEqual(before);
    // 0 is allowed: margin CLV then equals CLV.
    await run({ costToServeMinor: 0 });
    const m = await metrics('repeat');
    expect(Number(m.margin_clv12m_minor)).toBe(Number(m.clv12m_minor));
  });
});

describe('the swap', () => {
  const definition = async () => ({
    indexes: await app.sql(`select indexname, indexdef from pg_indexes where tablename = 'customer_metrics' order by indexname`),
    constraints: await app.sql(`select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'customer_metrics'::regclass order by conname`),
    triggers: await app.sql(`select tgname, pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = 'customer_metrics'::regclass and not tgisinternal order by tgname`),
    table: await app.sql(`select relowner::regrole::text as owner, relacl::text[] as acl, reloptions, obj_description(oid, 'pg_class') as comment from pg_class where oid = 'customer_metrics'::regclass`),
    columnGrants: await app.sql(`select attname, attacl::text[] as acl from pg_attribute where attrelid = 'customer_metrics'::regclass and attacl is not null order by attname`),
  });

  it('carries over owner, grants, storage parameters and comment', async () => {
    await app.sql(`create role ${OWNER}`);
    await app.sql(`create role ${READER}`);
    await app.sql(`grant select on customer_metrics to ${READER} with grant option`);
    await app.sql(`grant update (lifecycle_stage) on customer_metrics to public`);
    await app.sql(`alter table customer_metrics owner to ${OWNER}`);
    await app.sql(`alter table customer_metrics set (fillfactor = 90, autovacuum_enabled = false)`);
    await app.sql(`comment on table customer_metrics is 'Rebuilt by each run; it''s quoted'`);
    // A unique constraint of the operator's: rebuilt as a unique constraint (not a plain unique index).
    await app.sql(`alter table customer_metrics add constraint rc_unique unique (customer_id, computed_at)`);
    // An index whose name has PostgreSQL's maximum length (63): its temporary name must stay distinct from it.
    await app.sql(`create index ${LONG_INDEX} on customer_metrics (churn_risk, customer_id)`);
    const before = await definition();
    expect(before.table).toEqual([{ owner: OWNER, acl: expect.arrayContaining([expect.stringMatching(new RegExp(`^${READER}=r\\*/`))]), reloptions: ['fillfactor=90', 'autovacuum_enabled=false'], comment: "Rebuilt by each run; it's quoted" }]);
    await run();
    const after = await definition();
    expect(after).toEqual(before);
    // Compared with the migration's, not only with the last run's (which an earlier run may have swapped in).
    expect(after.constraints).toEqual(expect.arrayContaining([
      { conname: 'customer_metrics_pkey', def: 'PRIMARY KEY (customer_id)' },
      { conname: 'rc_unique', def: 'UNIQUE (customer_id, computed_at)' },
    ]));
    expect(after.indexes).toContainEqual({ indexname: LONG_INDEX, indexdef: expect.stringContaining(`INDEX ${LONG_INDEX} ON public.customer_metrics`) });
  });

  it('refuses to swap out a table with a policy or a rule, and leaves the metrics as they were', async () => {
    await run();
    const before = await app.sql('select * from customer_metrics order by customer_id');
    for (const [add, drop] of [
      ['create policy rc_policy on customer_metrics using (true)', 'drop policy rc_policy on customer_metrics'],
      ['create rule rc_rule as on update to customer_metrics do also notify rc_rule', 'drop rule rc_rule on customer_metrics'],
      // An exclusion constraint cannot be re-attached from an index: refused too.
      ['alter table customer_metrics add constraint rc_exclude exclude using btree (customer_id with =)', 'alter table customer_metrics drop constraint rc_exclude'],
    ]) {
      await app.sql(add);
      try {
        await expect(run({ asOf: ago(100) })).rejects.toThrow(add.includes('exclude') ? 'cannot rebuild constraint rc_exclude' : /row-level security or rules/);
        expect(await app.sql('select * from customer_metrics order by customer_id')).toEqual(before);
      } finally {
        await app.sql(drop);
      }
    }
  });
});

describe('choosing the purchase model (choosePurchaseModel)', () => {
  // Synthetic summaries in weeks: row i has x = i % 3 repeat days at the end, and x_cal = x − 1 (at least 0)
  // by the cutoff 26 weeks before.
  const row = (i: number, o: Partial<SummaryRow> = {}): SummaryRow => {
    const x = i % 3;
    const xCal = Math.max(0, x - 1);
    return { x, tx: x > 0 ? 30 + (i % 17) : 0, t: 60 + (i % 11), x_cal: xCal, tx_cal: xCal > 0 ? 10 + (i % 7) : 0, t_cal: 34 + (i % 11), ...o };
  };
  const rows = (n: number, o: Partial<SummaryRow> = {}) => Array.from({ length: n }, (_, i) => row(i, o));

  it('fits from 20 customers with at least one repeat buyer, and not from fewer or without one', () => {
    expect(choosePurchaseModel(rows(19))).toBeNull();
    expect(choosePurchaseModel(rows(20))).not.toBeNull();
    // Nobody bought twice: nothing to fit.
    expect(choosePurchaseModel(rows(40, { x: 0, tx: 0, x_cal: 0, tx_cal: 0 }))).toBeNull();
    // Everybody did: fitted.
    expect(choosePurchaseModel(rows(40).map((r) => ({ ...r, x: r.x + 1, tx: 40 })))).not.toBeNull();
  });

  it('chooses on 20 calibratable customers with a repeat buyer by the cutoff, and otherwise takes the MBG/NBD', () => {
    expect(choosePurchaseModel(rows(20))!.candidates).toHaveLength(2);
    // 19 calibratable and one first seen at the cutoff itself (T = 0 there): too few.
    expect(choosePurchaseModel([...rows(19), row(19, { x_cal: 0, tx_cal: 0, t_cal: 0 })])).toMatchObject({ model: 'mbgnbd', candidates: null });
    // Repeat buyers at the end but none by the cutoff: nothing to choose on.
    expect(choosePurchaseModel(rows(40, { x_cal: 0, tx_cal: 0 }))).toMatchObject({ model: 'mbgnbd', candidates: null });
  });
});

describe('P(alive) in SQL (pAliveSql)', () => {
  it('is the closed form of each purchase model, one-time buyers included', async () => {
    const params = { r: 0.8, alpha: 4, a: 0.6, b: 2.5 };
    for (const model of models.BETA_GEO_MODELS) {
      const summary = { model, params, logLikelihood: 0, candidates: null };
      for (const [x, tx, T] of [[0, 0, 30], [1, 5, 30], [4, 20, 52], [2, 50, 51]]) {
        const [{ p }] = await app.sql<{ p: number }>(`select ${pAliveSql(summary, String(x), String(tx), String(T))} as p`);
        expect(p).toBeCloseTo(models.betaGeoProbabilityAlive(model, params, x, tx, T), 12);
      }
    }
    // The two differ (MBG/NBD lets a one-time buyer lapse; BG/NBD does not).
    expect(models.betaGeoProbabilityAlive('mbgnbd', params, 0, 0, 30)).toBeLessThan(0.9);
    expect(models.betaGeoProbabilityAlive('bgnbd', params, 0, 0, 30)).toBe(1);
  });
});

describe('a population of its own (run last: it replaces every order)', () => {
  it('leaves the expected spend empty when Gamma-Gamma has no finite mean (q ≤ 1), and tabulates each grid cell once', async () => {
    await app.sql('delete from orders');
    // 30 repeat buyers: a first order of 10.00, then one of a heavy-tailed value (Pareto, index 1/2);
    // first orders on consecutive days, so the grid cells (1, d) and (1, d + 1) of neighbours overlap.
    await app.sql(
      `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
       select c.id, ?::timestamptz - make_interval(days => case k when 0 then 300 + i else 50 end), 'web', 'delivered', 'EUR', v, v, 'test', 'heavy-' || i || '-' || k
       from generate_series(0, 29) i join customers c on c.email = 'rc' || i || '@example.com'
       cross join lateral (select k, case k when 0 then 1000 else round(100 / ((i + 0.5) / 30.0) ^ 2)::bigint end as v from generate_series(0, 1) k) o`,
      [now],
    );
    const summary = await run();
    expect(summary.purchaseModel).not.toBeNull();
    expect(summary.gammaGamma!.q).toBeLessThanOrEqual(1);
    expect(summary.modelGroups).toBe(31);
    const m = await app.sql<Row>(`select * from customer_metrics where customer_id in (select customer_id from orders)`);
    expect(m).toHaveLength(30);
    for (const r of m) expect(r).toMatchObject({ p_alive: expect.any(Number), expected_spend_minor: null, clv12m_minor: null });
  });
});
