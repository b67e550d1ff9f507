import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest } from '../helpers/fixtures';
import { runAnalytics } from '../../src/analytics/run';
import { seedDemoData } from '../../src/cli/seed';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import * as models from '../../src/analytics/models';
import { validateModels } from '../../src/analytics/validate';
import type { RecomputeSummary } from '../../src/analytics/recompute';

let app: TestApp;
const DAY = 86_400_000;
const ids: Record<string, string> = {};

/** Customers with histories chosen to land in known places, next to 300 ordinary demo customers. */
async function history(name: string, orders: Array<{ daysAgo: number; total: number; status?: string; category?: string }>, extra: { complaints?: number } = {}) {
  const [c] = await app.sql<{ id: string }>(`insert into customers (email, created_at) values (?, now() - interval '1200 days') returning id`, [`${name}@example.com`]);
  ids[name] = c.id;
  for (const [i, o] of orders.entries()) {
    const [row] = await app.sql<{ id: string }>(
      `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
       values (?, now() - make_interval(days => ?), 'web', ?, 'EUR', ?, ?, 'test', ?) returning id`,
      [c.id, o.daysAgo, o.status ?? 'delivered', o.total, o.total, `${name}-${i}`],
    );
    const [p] = await app.sql<{ id: string }>(`select id from products where category = ? order by sku limit 1`, [o.category ?? 'books']);
    await app.sql(`insert into order_lines (order_id, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency, position) values (?, ?, ?, 1, ?, ?, 'EUR', 1)`, [row.id, c.id, p.id, o.total, o.total]);
  }
  for (let i = 0; i < (extra.complaints ?? 0); i++) {
    await app.sql(`insert into feedback (customer_id, kind, text, status, submitted_at) values (?, 'complaint', 'late', 'open', now() - interval '5 days')`, [c.id]);
  }
}

const analytics = () => runAnalytics(app.orm.em.fork() as EntityManager);
const metrics = async (name: string) => (await app.sql<Record<string, any>>(`select * from customer_metrics where customer_id = ?`, [ids[name]]))[0]; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 300, seed: 11 });
  await history('champion', Array.from({ length: 30 }, (_, i) => ({ daysAgo: 3 + i * 12, total: 9000 })));
  await history('twinA', [{ daysAgo: 200, total: 5000 }, { daysAgo: 100, total: 5000 }]);
  await history('twinB', [{ daysAgo: 200, total: 5000 }, { daysAgo: 100, total: 5000 }]);
  await history('lost', [{ daysAgo: 1000, total: 2000 }]);
  await history('faded', Array.from({ length: 12 }, (_, i) => ({ daysAgo: 700 + i * 10, total: 4000 })));
  await history('wonback', [{ daysAgo: 900, total: 3000 }, { daysAgo: 880, total: 3000 }, { daysAgo: 20, total: 3000, category: 'garden' }]);
  await history('returner', [{ daysAgo: 50, total: 8000, status: 'returned' }, { daysAgo: 40, total: 1000 }]);
  await history('unhappy', [{ daysAgo: 30, total: 3000 }, { daysAgo: 10, total: 3000 }], { complaints: 2 });
  await history('objector', [{ daysAgo: 400, total: 4000 }, { daysAgo: 300, total: 4000 }, { daysAgo: 200, total: 4000 }]);
  await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
                 values (?, 'profiling', 'any', 'withdrawn', 'consent', 'preference_centre', '2025-06', now() - interval '1 day')`, [ids.objector]);
  await app.sql(`insert into customers (email) values ('prospect@example.com')`);
  ids.prospect = (await app.sql<{ id: string }>(`select id from customers where email = 'prospect@example.com'`))[0].id;
  // Three orders on one UTC day (a split basket) and one more 10 days ago: two transactions, four orders.
  const [sd] = await app.sql<{ id: string }>(`insert into customers (email, created_at) values ('sameday@example.com', now() - interval '100 days') returning id`);
  ids.sameday = sd.id;
  for (const [i, at] of ["date_trunc('day', now()) - interval '40 days' + interval '9 hours'", "date_trunc('day', now()) - interval '40 days' + interval '13 hours'",
    "date_trunc('day', now()) - interval '40 days' + interval '20 hours'", "now() - interval '10 days'"].entries()) {
    await app.sql(`insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor, source, external_id)
                   values (?, ${at}, 'web', 'delivered', 'EUR', 1000, 1000, 'test', ?)`, [sd.id, `sameday-${i}`]);
  }
  const run = await analytics();
  expect(run).not.toBeNull();
  firstRun = run!.metrics;
}, 120_000);
let firstRun: RecomputeSummary;
afterAll(async () => {
  await app?.close();
});

describe('metrics recompute', () => {
  it('computes a row for every active customer, with fitted models', async () => {
    const [n] = await app.sql<{ customers: string; metrics: string }>(`select (select count(*) from customers where status = 'active') customers, (select count(*) from customer_metrics) metrics`);
    expect(n.metrics).toBe(n.customers);
    const m = await metrics('champion');
    expect(m.model_version).toMatch(/bgnbd/);
    expect(m.p_alive).toBeGreaterThan(0.5);
    expect(Number(m.clv12m_minor)).toBeGreaterThan(0);
  });

  it('scores RFM in quintiles where ties share a score, and names segments', async () => {
    const [a, b] = [await metrics('twinA'), await metrics('twinB')];
    expect([a.r_score, a.f_score, a.m_score]).toEqual([b.r_score, b.f_score, b.m_score]);
    expect((await metrics('champion')).rfm_segment).toBe('Champions');
    expect((await metrics('lost')).rfm_segment).toBe('Lost');
    expect((await metrics('prospect')).rfm_segment).toBe('Prospect');
    const dist = await app.sql<{ r_score: number; n: string }>(`select r_score, count(*) n from customer_metrics where r_score is not null group by 1 order by 1`);
    expect(dist.map((d) => d.r_score)).toEqual([1, 2, 3, 4, 5]);
  });

  it('tells lifecycle stages, value tiers and churn risk apart', async () => {
    expect((await metrics('prospect')).lifecycle_stage).toBe('prospect');
    expect((await metrics('wonback')).lifecycle_stage).toBe('won_back');
    expect(['lapsed', 'at_risk']).toContain((await metrics('faded')).lifecycle_stage);
    expect((await metrics('lost')).lifecycle_stage).toBe('lapsed');
    expect((await metrics('champion')).lifecycle_stage).toBe('active');
    expect((await metrics('returner')).value_tier).toBe('below_zero');
    expect((await metrics('champion')).value_tier).toBe('most_valuable');
    // A frequent buyer gone quiet is more likely dead than one still buying; complaints raise the risk.
    expect((await metrics('faded')).p_alive).toBeLessThan((await metrics('champion')).p_alive);
    expect((await metrics('faded')).churn_risk).toBeGreaterThan((await metrics('champion')).churn_risk);
    expect((await metrics('unhappy')).negative_feedback90d).toBe(2);
  });
});

describe('the graph', () => {
  const q = `query($id: ID!) { customer(id: $id) { value { modelVersion computedAt rfm { recency frequency monetary } rfmSegment valueTier lifecycleStage
               pAlive predictedPurchases12m churnRisk clv12m { amountMinor currency } historicValue { amount currency } expectedOrderValue { amountMinor } } } }`;

  it('exposes Customer.value to staff, never to partners or the customer', async () => {
    const id = toGlobalId('Customer', ids.champion);
    const admin = await app.gql(q, { id });
    expect(admin.errors).toBeUndefined();
    expect(admin.data.customer.value).toMatchObject({ rfmSegment: 'Champions', valueTier: 'MOST_VALUABLE', lifecycleStage: 'ACTIVE', historicValue: { currency: 'EUR' } });
    for (const role of [Role.MARKETING, Role.ANALYST]) expect((await app.gql(q, { id }, { role })).errors).toBeUndefined();
    const self = await app.gql(q, { id }, { role: Role.CUSTOMER, customerId: id });
    expect(self.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE' });
  });

  it('filters and sorts customers by metrics, in SQL, with stable pages', async () => {
    const res = await app.gql(`{ customers(first: 5, orderBy: { field: CLV_12M, direction: DESC }, filter: { value: { lifecycleStages: [ACTIVE, NEW] } }) {
      totalCount nodes { value { clv12m { amountMinor } lifecycleStage } } } }`);
    expect(res.errors).toBeUndefined();
    const clvs = res.data.customers.nodes.map((n: any) => n.value.clv12m?.amountMinor ?? -1); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect([...clvs].sort((x, y) => y - x)).toEqual(clvs);
    const [truth] = await app.sql<{ n: string }>(`select count(*) n from customer_metrics m join customers c on c.id = m.customer_id where c.status = 'active' and m.lifecycle_stage in ('active', 'new')
       and rapport_consent_status(c.id, 'profiling', 'any') not in ('denied', 'withdrawn')`); // model outputs do not select customers who objected to profiling
    expect(res.data.customers.totalCount).toBe(Number(truth.n));
    const partner = await app.gql(`{ customers(first: 5, orderBy: { field: CHURN_RISK }) { totalCount } }`, {}, { role: Role.CUSTOMER, customerId: toGlobalId('Customer', ids.champion) });
    expect(partner.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps Customer.value batched: statements do not grow with the list', async () => {
    const query = `query($n: Int!) { customers(first: $n) { nodes { value { churnRisk clv12m { amountMinor } } } } }`;
    const small = await app.gql(query, { n: 5 });
    const large = await app.gql(query, { n: 100 });
    expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
  });
});

describe('segments', () => {
  const create = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id name memberCount evaluatedAt } }`;

  it('evaluates a rule over profile, metrics, consent and behaviour exactly as SQL ground truth', async () => {
    const rule = { all: [{ bought: { category: 'garden', withinDays: 90 } }, { not: { metric: { field: 'CHURN_RISK', op: 'GT', value: 0.9 } } }] };
    const res = await app.gql(create, { input: { name: 'Recent garden buyers', rule } }, { role: Role.MARKETING });
    expect(res.errors).toBeUndefined();
    const [truth] = await app.sql<{ n: string }>(
      `select count(*) n from customers c left join customer_metrics m on m.customer_id = c.id
       where c.status = 'active' and coalesce(m.churn_risk, 0) <= 0.9 and rapport_consent_status(c.id, 'profiling', 'any') not in ('denied', 'withdrawn') and exists (
         select 1 from orders o join order_lines l on l.order_id = o.id join products p on p.id = l.product_id
         where o.customer_id = c.id and p.category = 'garden' and o.status not in ('cancelled', 'returned') and o.placed_at > now() - interval '90 days')`,
    );
    expect(res.data.createSegment.memberCount).toBe(Number(truth.n));
    expect(res.data.createSegment.memberCount).toBeGreaterThan(0);
    const members = await app.gql(`query($id: ID!) { segment(id: $id) { customers(first: 100) { totalCount nodes { id } } } }`, { id: res.data.createSegment.id }, { role: Role.ANALYST });
    expect(members.data.segment.customers.totalCount).toBe(Number(truth.n));
    expect(members.data.segment.customers.nodes.map((n: { id: string }) => n.id)).toContain(toGlobalId('Customer', ids.wonback));
  });

  it('keeps membership history: "who entered at-risk this week" is answerable', async () => {
    const res = await app.gql(create, { input: { name: 'At risk', rule: { lifecycleStageIn: ['AT_RISK', 'LAPSED'] } } });
    const segmentId = res.data.createSegment.id;
    const before = res.data.createSegment.memberCount;
    // The champion stops buying: move their orders back a year and recompute.
    await app.sql(`update orders set placed_at = placed_at - interval '400 days' where customer_id = ?`, [ids.champion]);
    await analytics();
    const weekAgo = new Date(Date.now() - 7 * DAY).toISOString();
    const seg = await app.gql(`query($id: ID!, $since: DateTime!) { segment(id: $id) { memberCount entered(since: $since, first: 100) { totalCount nodes { enteredAt customer { id } } } } }`, { id: segmentId, since: weekAgo });
    expect(seg.errors).toBeUndefined();
    expect(seg.data.segment.memberCount).toBe(before + 1);
    expect(seg.data.segment.entered.nodes.map((n: any) => n.customer.id)).toContain(toGlobalId('Customer', ids.champion)); // eslint-disable-line @typescript-eslint/no-explicit-any
    const [open] = await app.sql<{ n: string }>(`select count(*) n from segment_memberships where segment_id = ? and left_at is null`, [Buffer.from(segmentId, 'base64url').toString().split(':')[1]]);
    expect(Number(open.n)).toBe(before + 1);
  });

  it('refuses malformed rules with BAD_USER_INPUT and saves nothing', async () => {
    const digest = await databaseDigest(app);
    const bad = [
      { all: [] },
      { metric: { field: 'CHURN_RISK', op: 'GT', value: 0.5 }, rfmSegmentIn: ['Lost'] },
      { bought: { category: 'garden', withinDays: 0 } },
      { rfmSegmentIn: ['Not a segment'] },
      { country: ['Narnia'] },
      {},
    ];
    for (const rule of bad) {
      const res = await app.gql(create, { input: { name: `bad ${JSON.stringify(rule)}`, rule } });
      expect({ rule, code: res.errors?.[0].extensions?.code }).toEqual({ rule, code: 'BAD_USER_INPUT' });
    }
    const dup = await app.gql(create, { input: { name: 'At risk', rule: { lifecycleStageIn: ['LAPSED'] } } });
    expect(dup.errors?.[0].extensions?.code).toBe('CONFLICT');
    const denied = await app.gql(create, { input: { name: 'x', rule: { lifecycleStageIn: ['LAPSED'] } } }, { role: Role.SUPPORT });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await databaseDigest(app)).toBe(digest);
  });
});

describe('model inputs and as-of runs', () => {
  const asOf = new Date(Date.now() - 3 * DAY);
  const runAt = async (at: Date) => (await runAnalytics(app.orm.em.fork() as EntityManager, { asOf: at }))!.metrics;

  it('counts calendar days as transactions, orders per order; prospects get no churn score', async () => {
    const m = await metrics('sameday');
    expect(m.orders_count).toBe(4);
    expect(m.frequency).toBe(1);
    const p = await metrics('prospect');
    expect(p.lifecycle_stage).toBe('prospect');
    expect(p.churn_risk).toBeNull();
    expect(p.p_alive).toBeNull();
    expect(firstRun.purchaseModel!.candidates!.map((c) => c.model).sort()).toEqual(['bgnbd', 'mbgnbd']);
    expect(firstRun.modelVersion).toContain(firstRun.purchaseModel!.model);
  });

  it('scores in SQL exactly what the model functions give, in exact weeks', async () => {
    const summary = await runAt(asOf);
    const pm = summary.purchaseModel!;
    const m = await metrics('twinA');
    const week = 7 * DAY;
    const T = (asOf.getTime() - new Date(m.first_order_at).getTime()) / week;
    const tx = (new Date(m.last_order_at).getTime() - new Date(m.first_order_at).getTime()) / week;
    expect(m.model_version).toBe(summary.modelVersion);
    expect(m.p_alive).toBeCloseTo(models.betaGeoProbabilityAlive(pm.model, pm.params, 1, tx, T), 10);
    expect(m.churn_risk).toBeCloseTo(models.betaGeoProbabilityNoPurchase(pm.model, pm.params, 90 / 7, 1, tx, T), 10);
    const want = models.betaGeoExpectedPurchases(pm.model, pm.params, 12 * models.WEEKS_PER_MONTH, 1, tx, T);
    expect(Math.abs(m.predicted_purchases12m / want - 1)).toBeLessThan(1e-4);
    // Gamma-Gamma: a customer without repeat transactions gets the population mean pv/(q − 1).
    const gg = summary.gammaGamma!;
    expect((await metrics('lost')).expected_spend_minor).toBeCloseTo((gg.p * gg.v) / (gg.q - 1), 6);
  });

  it('does not let unsolicited sends change a buyer\'s churn risk', async () => {
    await runAt(asOf);
    const before = await metrics('twinB');
    for (let i = 0; i < 3; i++) {
      await app.sql(`insert into interactions (customer_id, occurred_at, channel, type, campaign, properties, source) values (?, ?::timestamptz - make_interval(days => ?), 'email', 'email_send', 'newsletter', '{}', 'test')`, [ids.twinB, asOf, 2 + i * 10]);
    }
    await runAt(asOf);
    const after = await metrics('twinB');
    expect(after.churn_risk).toBe(before.churn_risk);
    expect(after.engagement_decline).toBe(before.engagement_decline);
  });

  it('computes as of an instant, ignoring orders, interactions and feedback after it', async () => {
    const past = new Date(Date.now() - 150 * DAY);
    await runAt(past);
    const twin = await metrics('twinA'); // orders 200 and 100 days ago
    expect(twin.orders_count).toBe(1);
    expect(new Date(twin.computed_at).getTime()).toBe(past.getTime());
    expect(new Date(twin.last_order_at).getTime()).toBeLessThanOrEqual(past.getTime());
    const unhappy = await metrics('unhappy'); // orders 30 and 10 days ago, complaints 5 days ago
    expect(unhappy.lifecycle_stage).toBe('prospect');
    expect(unhappy.negative_feedback90d).toBe(0);
    expect(unhappy.churn_risk).toBeNull();
    const res = await app.gql(`mutation($at: DateTime) { recomputeAnalytics(asOf: $at) { customers modelVersion asOf } }`, { at: new Date(Date.now() + DAY).toISOString() });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const ok = await app.gql(`mutation($at: DateTime) { recomputeAnalytics(asOf: $at) { customers modelVersion asOf } }`, { at: past.toISOString() });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.recomputeAnalytics.modelVersion).toMatch(/^rfm-q5\+m?bgnbd\+gg\/2$/);
    expect((await metrics('twinA')).orders_count).toBe(1);
  });

  it('validates on a holdout: predictions per frequency bucket, and a churn ranking better than recency', async () => {
    const holdoutEnd = new Date();
    const report = await validateModels(app.orm.em.fork() as EntityManager, { calibrationEnd: new Date(holdoutEnd.getTime() - 182 * DAY), holdoutEnd });
    const [truth] = await app.sql<{ n: string }>(
      `select count(*) n from (select customer_id from orders where status not in ('cancelled', 'returned') group by 1 having min(placed_at) < ?) f`,
      [new Date(holdoutEnd.getTime() - 182 * DAY)],
    );
    expect(report.customers).toBe(Number(truth.n));
    expect(report.comparison.buckets.map((b) => b.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(report.comparison.total.actual).toBeGreaterThan(0);
    expect(report.comparison.churnAuc).toBeGreaterThan(report.comparison.recencyAuc);
  });
});

describe('PROFILING objections', () => {
  const valueQ = `query($id: ID!) { customer(id: $id) { value { ordersCount modelScoresAvailable modelScoresUnavailableReason churnRisk pAlive clv12m { amountMinor } predictedPurchases12m expectedOrderValue { amountMinor } } } }`;
  const create = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id memberCount } }`;
  const isMember = async (globalSegmentId: string, customer: string) => {
    const [r] = await app.sql<{ n: string }>(`select count(*) n from segment_memberships where segment_id = ? and customer_id = ? and left_at is null`,
      [Buffer.from(globalSegmentId, 'base64url').toString().split(':')[1], ids[customer]]);
    return Number(r.n) === 1;
  };

  it('withholds model-based scores on the graph and says why', async () => {
    expect((await metrics('objector')).churn_risk).not.toBeNull(); // computed, just not shown
    const res = await app.gql(valueQ, { id: toGlobalId('Customer', ids.objector) });
    expect(res.errors).toBeUndefined();
    expect(res.data.customer.value).toEqual({
      ordersCount: 3, modelScoresAvailable: false, modelScoresUnavailableReason: 'PROFILING consent withdrawn',
      churnRisk: null, pAlive: null, clv12m: null, predictedPurchases12m: null, expectedOrderValue: null,
    });
    const other = await app.gql(valueQ, { id: toGlobalId('Customer', ids.twinA) });
    expect(other.data.customer.value.modelScoresAvailable).toBe(true);
    expect(other.data.customer.value.churnRisk).not.toBeNull();
  });

  it('leaves objectors out of segments and filters that use model outputs, not out of the others', async () => {
    const objector = toGlobalId('Customer', ids.objector);
    const churn = await app.gql(create, { input: { name: 'any churn', rule: { metric: { field: 'CHURN_RISK', op: 'GTE', value: 0 } } } });
    expect(churn.errors).toBeUndefined();
    const notChurn = await app.gql(create, { input: { name: 'not very likely to churn', rule: { not: { metric: { field: 'CHURN_RISK', op: 'GT', value: 0.999 } } } } });
    const byOrders = await app.gql(create, { input: { name: 'three orders', rule: { metric: { field: 'ORDERS_COUNT', op: 'GTE', value: 3 } } } });
    expect(await isMember(churn.data.createSegment.id, 'objector')).toBe(false);
    expect(await isMember(churn.data.createSegment.id, 'twinA')).toBe(true);
    expect(await isMember(notChurn.data.createSegment.id, 'objector')).toBe(false);
    expect(await isMember(byOrders.data.createSegment.id, 'objector')).toBe(true);
    expect(churn.data.createSegment.memberCount).toBeGreaterThan(0);
    const filtered = await app.gql(`{ customers(first: 1, filter: { value: { churnRiskAtLeast: 0 } }) { totalCount } }`);
    const [withChurn] = await app.sql<{ n: string }>(`select count(*) n from customer_metrics m join customers c on c.id = m.customer_id where c.status = 'active' and m.churn_risk >= 0`);
    const [objectors] = await app.sql<{ n: string }>(`select count(*) n from customer_metrics m join customers c on c.id = m.customer_id where c.status = 'active' and m.churn_risk >= 0 and not (rapport_consent_status(c.id, 'profiling', 'any') not in ('denied', 'withdrawn'))`);
    expect(Number(objectors.n)).toBeGreaterThan(0);
    expect(filtered.data.customers.totalCount).toBe(Number(withChurn.n) - Number(objectors.n)); // everyone scored but the objectors
  });

  it('takes the global id a segment returns in customers(filter: { segmentId }) or its raw UUID, and refuses anything else', async () => {
    const seg = await app.gql(create, { input: { name: 'global id', rule: { metric: { field: 'ORDERS_COUNT', op: 'GTE', value: 1 } } } });
    const id = seg.data.createSegment.id as string;
    const listed = await app.gql(`query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }`, { f: { segmentId: id } });
    expect(listed.errors).toBeUndefined();
    expect(listed.data.customers.totalCount).toBe(seg.data.createSegment.memberCount);
    // The raw UUID (as scripts sent it before ids were global) names the same segment.
    const raw = Buffer.from(id, 'base64url').toString().split(':')[1];
    const byRaw = await app.gql(`query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }`, { f: { segmentId: raw } });
    expect(byRaw.errors).toBeUndefined();
    expect(byRaw.data.customers.totalCount).toBe(listed.data.customers.totalCount);
    const res = await app.gql(`query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }`, { f: { segmentId: Buffer.from(`Customer:${raw}`).toString('base64url') } });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('segment rules round-trip', () => {
  it('returns a rule that updateSegment accepts back unchanged', async () => {
    const rule = { all: [
      { metric: { field: 'CHURN_RISK', op: 'GTE', value: 0.2 } }, { lifecycleStageIn: ['AT_RISK', 'LAPSED', 'ACTIVE'] },
      { not: { consent: { purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'WITHDRAWN' } } },
      { any: [{ interacted: { channel: 'WEB', type: 'PRODUCT_VIEW', withinDays: 365, minCount: 1 } }, { valueTierIn: ['MAINTAIN', 'MOST_VALUABLE'] }] },
    ] };
    const created = await app.gql(`mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id rule memberCount } }`, { input: { name: 'round trip', rule } });
    expect(created.errors).toBeUndefined();
    expect(created.data.createSegment.rule).toEqual(rule);
    const back = await app.gql(`mutation($input: UpdateSegmentInput!) { updateSegment(input: $input) { rule memberCount } }`,
      { input: { id: created.data.createSegment.id, rule: created.data.createSegment.rule } });
    expect(back.errors).toBeUndefined();
    expect(back.data.updateSegment).toEqual({ rule, memberCount: created.data.createSegment.memberCount });
  });
});
