import { startTestApp, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';

let app: TestApp;
const DAY = 86_400_000;
const COST_TO_SERVE = 150;
const asOf1 = new Date(Date.now() - 200 * DAY);
const asOf2 = new Date(Date.now() - 5 * DAY);
let objector: string;

interface Snapshot {
  stages: Map<string, string>;
  stageCounts: Array<{ stage: string; customers: number }>;
  tierCounts: Array<{ tier: string; customers: number }>;
  clv: Array<{ currency: string; amountMinor: number }>;
}

/** The figures a history row must hold, read straight from customer_metrics. */
async function snapshot(): Promise<Snapshot> {
  const rows = await app.sql<{ customer_id: string; lifecycle_stage: string }>(`select customer_id, lifecycle_stage from customer_metrics`);
  const stages = new Map(rows.map((r) => [r.customer_id, r.lifecycle_stage]));
  const count = (values: string[]) => [...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length] as const);
  const tiers = await app.sql<{ value_tier: string }>(`select value_tier from customer_metrics`);
  const clvRows = await app.sql<{ currency: string; clv: string | null }>(`select currency, clv12m_minor::text as clv from customer_metrics`);
  const clv = new Map<string, number>();
  for (const r of clvRows) if (r.clv != null && r.currency) clv.set(r.currency, (clv.get(r.currency) ?? 0) + Number(r.clv));
  return {
    stages,
    stageCounts: count([...stages.values()]).map(([stage, customers]) => ({ stage: stage.toUpperCase(), customers })),
    tierCounts: count(tiers.map((t) => t.value_tier)).map(([tier, customers]) => ({ tier: tier.toUpperCase(), customers })),
    clv: [...clv.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amountMinor]) => ({ currency, amountMinor })),
  };
}

const recompute = async (asOf: Date) => {
  const res = await app.gql(`mutation($at: DateTime) { recomputeAnalytics(asOf: $at) { customers modelVersion } }`, { at: asOf.toISOString() });
  expect(res.errors).toBeUndefined();
  return res.data.recomputeAnalytics as { customers: number; modelVersion: string };
};

const historyQ = `query($n: Int!) { analyticsHistory(first: $n) { totalCount nodes {
  id asOf modelVersion customers stages { stage customers } tiers { tier customers } previousActiveCustomers churnRate
  clvTotals { currency amountMinor } purchaseModel { model r alpha a b logLikelihood } segments { segmentId name customers } } } }`;

let snap1: Snapshot;
let snap2: Snapshot;
let run1: { customers: number; modelVersion: string };
let run2: { customers: number; modelVersion: string };
let segmentId: string;

beforeAll(async () => {
  app = await startTestApp({ ANALYTICS_COST_TO_SERVE_MINOR: String(COST_TO_SERVE) });
  await seedDemoData(app.orm, { customers: 150, seed: 5 });
  // Unit costs on the best-selling products only: the others' lines count as costless.
  const top = await app.sql<{ sku: string; name: string; category: string; brand: string | null; price_minor: number; currency: string }>(
    `select p.sku, p.name, p.category, p.brand, p.price_minor, p.currency from products p join order_lines l on l.product_id = p.id
     group by p.id order by count(*) desc, p.sku limit 3`);
  for (const p of top) {
    const res = await app.gql(`mutation($input: UpsertProductInput!) { upsertProduct(input: $input) { sku } }`, { input: {
      sku: p.sku, name: p.name, category: p.category, brand: p.brand, priceMinor: p.price_minor, currency: p.currency.trim(), unitCostMinor: Math.floor(p.price_minor * 0.6) } });
    expect(res.errors).toBeUndefined();
  }
  [{ id: objector }] = await app.sql<{ id: string }>(`select c.id from customers c where exists (select 1 from orders o where o.customer_id = c.id and o.placed_at < ?) order by c.id limit 1`, [asOf1]);
  await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
                 values (?, 'profiling', 'any', 'withdrawn', 'consent', 'preference_centre', '2025-06', now() - interval '1 day')`, [objector]);
  run1 = await recompute(asOf1);
  snap1 = await snapshot();
  const seg = await app.gql(`mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`,
    { input: { name: 'Lapsed', rule: { lifecycleStageIn: ['LAPSED'] } } }, { role: Role.MARKETING });
  expect(seg.errors).toBeUndefined();
  segmentId = seg.data.createSegment.id;
  run2 = await recompute(asOf2);
  snap2 = await snapshot();
}, 180_000);
afterAll(async () => {
  await app?.close();
});

describe('analytics history', () => {
  it('keeps one row per run with the figures of that run, latest as-of first', async () => {
    const res = await app.gql(historyQ, { n: 10 }, { role: Role.ANALYST });
    expect(res.errors).toBeUndefined();
    const [second, first] = res.data.analyticsHistory.nodes;
    expect(res.data.analyticsHistory.totalCount).toBe(2);
    expect(new Date(first.asOf).getTime()).toBe(asOf1.getTime());
    expect(new Date(second.asOf).getTime()).toBe(asOf2.getTime());
    for (const [row, snap, run] of [[first, snap1, run1], [second, snap2, run2]] as const) {
      expect(row.customers).toBe(run.customers);
      expect(row.customers).toBe(snap.stages.size);
      expect(row.modelVersion).toBe(run.modelVersion);
      expect(row.stages).toEqual(snap.stageCounts);
      expect(row.tiers).toEqual(snap.tierCounts);
      expect(row.clvTotals).toEqual(snap.clv);
      expect(row.clvTotals.length).toBeGreaterThan(0);
      expect(run.modelVersion).toContain(`+${row.purchaseModel.model}+`);
      expect(row.purchaseModel.logLikelihood).toBeLessThan(0);
      for (const p of ['r', 'alpha', 'a', 'b']) expect(row.purchaseModel[p]).toBeGreaterThan(0);
    }
    // The first run has nothing before it.
    expect(first.previousActiveCustomers).toBeNull();
    expect(first.churnRate).toBeNull();
    expect(first.segments).toEqual([]);
    // Churn: the share of the previous run's new/active/won-back customers now lapsed.
    const wasActive = [...snap1.stages].filter(([, s]) => ['new', 'active', 'won_back'].includes(s)).map(([id]) => id);
    const nowLapsed = wasActive.filter((id) => snap2.stages.get(id) === 'lapsed');
    expect(wasActive.length).toBeGreaterThan(0);
    expect(second.previousActiveCustomers).toBe(wasActive.length);
    expect(second.churnRate).toBeCloseTo(nowLapsed.length / wasActive.length, 12);
    const [members] = await app.sql<{ n: string }>(`select count(*) n from segment_memberships where left_at is null`);
    expect(second.segments).toEqual([{ segmentId, name: 'Lapsed', customers: Number(members.n) }]);
    expect(Number(members.n)).toBeGreaterThan(0);
  });

  it('records a transition once per change: the first stage from null, then only the customers whose stage changed', async () => {
    const changed = [...snap2.stages].filter(([id, s]) => snap1.stages.get(id) !== s);
    expect(changed.length).toBeGreaterThan(0);
    const rows = await app.sql<{ customer_id: string; from_stage: string | null; to_stage: string; at: Date }>(
      `select customer_id, from_stage, to_stage, at from customer_lifecycle_transitions order by at, customer_id`);
    const atRun = (d: Date) => rows.filter((r) => new Date(r.at).getTime() === d.getTime());
    expect(atRun(asOf1).map((r) => [r.customer_id, r.from_stage, r.to_stage]).sort())
      .toEqual([...snap1.stages].map(([id, s]) => [id, null, s]).sort());
    expect(atRun(asOf2).map((r) => [r.customer_id, r.from_stage, r.to_stage]).sort())
      .toEqual(changed.map(([id, s]) => [id, snap1.stages.get(id) ?? null, s]).sort());
    // The same instant again changes nothing: a new history row, no new transitions.
    await recompute(asOf2);
    const [n] = await app.sql<{ n: string }>(`select count(*) n from customer_lifecycle_transitions`);
    expect(Number(n.n)).toBe(rows.length);
    const res = await app.gql(historyQ, { n: 1 });
    expect(res.data.analyticsHistory.totalCount).toBe(3);
    expect(res.data.analyticsHistory.nodes[0].churnRate).toBe(0);
  });

  it('gives the ledger time-ordered ids: in customer order within a run, a later run\'s after an earlier one\'s', async () => {
    // (the two runs' as-of instants are in the order they ran)
    const byId = await app.sql<{ id: string }>(`select id from customer_lifecycle_transitions order by id`);
    const byRunThenCustomer = await app.sql<{ id: string }>(`select id from customer_lifecycle_transitions order by at, customer_id`);
    expect(byId.length).toBeGreaterThan(150);
    expect(byId.map((r) => r.id)).toEqual(byRunThenCustomer.map((r) => r.id));
    const rows = byId;
    // version 7, variant 10xx
    for (const r of rows) expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('shows a customer their ledger on Customer.lifecycleHistory, withheld for a PROFILING objection', async () => {
    const q = `query($id: ID!) { customer(id: $id) { lifecycleHistory { available unavailableReason transitions { from to at runId } } } }`;
    const objectors = new Set((await app.sql<{ id: string }>(
      `select customer_id as id from customer_metrics where rapport_consent_status(customer_id, 'profiling', 'any') in ('denied', 'withdrawn')`)).map((r) => r.id));
    const [changedId] = [...snap2.stages].filter(([id, s]) => snap1.stages.get(id) !== s && !objectors.has(id)).map(([id]) => id);
    const res = await app.gql(q, { id: toGlobalId('Customer', changedId) }, { role: Role.SUPPORT });
    expect(res.errors).toBeUndefined();
    const h = res.data.customer.lifecycleHistory;
    expect(h.available).toBe(true);
    expect(h.transitions.map((t: { from: string | null; to: string }) => [t.from, t.to])).toEqual([
      [null, snap1.stages.get(changedId)!.toUpperCase()], [snap1.stages.get(changedId)!.toUpperCase(), snap2.stages.get(changedId)!.toUpperCase()],
    ]);
    const hist = await app.gql(historyQ, { n: 10 });
    const runOf = (d: Date) => hist.data.analyticsHistory.nodes.find((r: { asOf: string }) => new Date(r.asOf).getTime() === d.getTime()).id;
    expect(h.transitions[0].runId).toBe(runOf(asOf1));
    const obj = await app.gql(q, { id: toGlobalId('Customer', objector) });
    expect(obj.data.customer.lifecycleHistory).toEqual({ available: false, unavailableReason: 'PROFILING consent withdrawn', transitions: [] });
    const [stored] = await app.sql<{ n: string }>(`select count(*) n from customer_lifecycle_transitions where customer_id = ?`, [objector]);
    expect(Number(stored.n)).toBeGreaterThan(0); // kept, just not shown
  });

  it('keeps both batched: statements do not grow with the list', async () => {
    const q = `query($n: Int!) { customers(first: $n) { nodes { lifecycleHistory { available transitions { from to at } } } } }`;
    const small = await app.gql(q, { n: 5 });
    const large = await app.gql(q, { n: 100 });
    expect(large.errors).toBeUndefined();
    expect(large.data.customers.nodes.length).toBe(100);
    expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
    const h1 = await app.gql(historyQ, { n: 1 });
    const h3 = await app.gql(historyQ, { n: 3 });
    expect(h3.data.analyticsHistory.nodes.length).toBe(3);
    expect(h3.extensions!.sqlStatements).toBe(h1.extensions!.sqlStatements);
  });

  it('gives the aggregates to admin, marketing and analysts, the ledger to staff only', async () => {
    for (const role of [Role.ADMIN, Role.MARKETING, Role.ANALYST]) {
      expect((await app.gql(historyQ, { n: 1 }, { role })).errors).toBeUndefined();
    }
    for (const role of [Role.SUPPORT, Role.PARTNER, null]) {
      const res = await app.gql(historyQ, { n: 1 }, { role });
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(res.data?.analyticsHistory ?? null).toBeNull();
    }
    const [consenting] = await app.sql<{ id: string }>(
      `select customer_id as id from customer_metrics where rapport_consent_status(customer_id, 'profiling', 'any') not in ('denied', 'withdrawn') order by customer_id limit 1`);
    const id = toGlobalId('Customer', consenting.id);
    const q = `query($id: ID!) { customer(id: $id) { lifecycleHistory { available } } }`;
    for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
      const res = await app.gql(q, { id }, { role });
      expect(res.errors).toBeUndefined();
      expect(res.data.customer.lifecycleHistory.available).toBe(true);
    }
    const own = await app.gql(q, { id }, { role: Role.CUSTOMER, customerId: id });
    expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(own.data?.customer?.lifecycleHistory ?? null).toBeNull();
  });

  it('gives margin CLV beside revenue CLV: net of unit costs and the cost to serve each order', async () => {
    const rows = await app.sql<{ id: string; clv: string; exp: number; orders: number; days: number; revenue: number; cost: number }>(
      `select m.customer_id as id, m.clv12m_minor::text as clv, m.expected_spend_minor as exp, m.orders_count as orders, m.frequency + 1 as days,
              (select sum(l.line_total_minor)::float8 from orders o join order_lines l on l.order_id = o.id
                where o.customer_id = m.customer_id and o.status not in ('cancelled', 'returned') and o.placed_at <= ?) as revenue,
              (select coalesce(sum(p.unit_cost_minor * l.quantity), 0)::float8 from orders o join order_lines l on l.order_id = o.id join products p on p.id = l.product_id
                where o.customer_id = m.customer_id and o.status not in ('cancelled', 'returned') and o.placed_at <= ?) as cost,
              m.margin_clv12m_minor::text as margin
       from customer_metrics m where m.clv12m_minor > 0 order by m.customer_id`, [asOf2, asOf2]);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.cost > 0).length).toBeGreaterThan(0);
    for (const r of rows as Array<typeof rows[number] & { margin: string }>) {
      const share = r.revenue > 0 ? 1 - r.cost / r.revenue : 1;
      const discounted = Number(r.clv) / r.exp; // clv = round(discounted purchases × expected spend)
      const expected = Number(r.clv) * share - COST_TO_SERVE * (r.orders / r.days) * discounted;
      expect(Math.abs(Number(r.margin) - expected)).toBeLessThan(2);
      // Costs only take away (equal after rounding to minor units where they are tiny).
      expect(Number(r.margin)).toBeLessThanOrEqual(Number(r.clv));
    }
    const q = `query($id: ID!) { customer(id: $id) { value { clv12m { amountMinor } marginClv12m { amountMinor currency } } } }`;
    const objectors = new Set((await app.sql<{ id: string }>(
      `select customer_id as id from customer_metrics where rapport_consent_status(customer_id, 'profiling', 'any') in ('denied', 'withdrawn')`)).map((r) => r.id));
    const one = rows.find((r) => !objectors.has(r.id))!;
    const res = await app.gql(q, { id: toGlobalId('Customer', one.id) });
    expect(res.errors).toBeUndefined();
    expect(res.data.customer.value.marginClv12m.amountMinor).toBe(Number((one as typeof one & { margin: string }).margin));
    expect((await app.gql(q, { id: toGlobalId('Customer', objector) })).data.customer.value.marginClv12m).toBeNull();
  });

  it('forgets an erased customer’s model outputs and stage ledger, and no later run brings them back', async () => {
    const [{ id }] = await app.sql<{ id: string }>(
      `select t.customer_id as id from customer_lifecycle_transitions t join customer_metrics m using (customer_id) group by 1 order by 1 limit 1`);
    const erased = await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { customer { status } } }`, { id: toGlobalId('Customer', id) });
    expect(erased.errors).toBeUndefined();
    const left = async () => (await app.sql<{ n: string }>(
      `select (select count(*) from customer_lifecycle_transitions where customer_id = ?) + (select count(*) from customer_metrics where customer_id = ?)
            + (select count(*) from customer_lifecycle_states where customer_id = ?) as n`, [id, id, id]))[0].n;
    expect(Number(await left())).toBe(0);
    await recompute(asOf2);
    expect(Number(await left())).toBe(0);
  });
});
