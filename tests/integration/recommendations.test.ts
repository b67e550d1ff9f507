import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct } from '../helpers/fixtures';
import { fromGlobalId, toGlobalId } from '../../src/schema/global-id';
import { CF_PARAMS, recomputeProductSimilarities } from '../../src/analytics/recommendations';
import { Role } from '../../src/auth/viewer';
import { mulberry32 } from '../../src/cli/seed';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Item-to-item collaborative filtering against a brute-force TypeScript computation on a random
 * data set (cancelled and returned orders, an erased and a merged customer, a per-customer cap that
 * bites), then the graph: alsoBought, recommendations (owned products excluded, explained), the
 * category fallback and the PERSONALIZATION consent gate per role.
 */
let app: TestApp;
const uuid = (gid: string) => fromGlobalId(gid)!.id;
const DAY = 86_400_000;

interface OrderFixture { customer: string; placedAt: Date; status: string; products: string[] }

const orders: OrderFixture[] = [];
let products: Array<{ id: string; uuid: string; name: string; category: string }> = [];
let customers: string[] = [];
let erased: string;
let merged: string;

async function insertOrder(o: OrderFixture): Promise<void> {
  const [row] = await app.sql<{ id: string }>(
    `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor) values (?, ?, 'web', ?, 'EUR', 100, 100) returning id`,
    [o.customer, o.placedAt, o.status],
  );
  for (const [i, p] of o.products.entries()) {
    await app.sql(
      `insert into order_lines (order_id, position, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency) values (?, ?, ?, ?, 1, 100, 100, 'EUR')`,
      [row.id, i + 1, o.customer, p],
    );
  }
  orders.push(o);
}

async function grantPersonalization(customerGid: string, status = 'GRANTED') {
  const res = await app.gql(`mutation($c: ID!, $s: ConsentStatus!) { setConsent(input: { customerId: $c, purpose: PERSONALIZATION, status: $s, source: "test", policyVersion: "v1" }) { id } }`, { c: customerGid, s: status });
  expect(res.errors).toBeUndefined();
}

/** The reference implementation, straight from the definition. */
function bruteForce(opts: { cap: number; minCo: number; topK: number }, excluded: Set<string>) {
  const kept = orders.filter((o) => !['cancelled', 'returned'].includes(o.status) && !excluded.has(o.customer));
  const lastAt = new Map<string, Map<string, number>>();
  for (const o of kept) {
    const m = lastAt.get(o.customer) ?? new Map<string, number>();
    lastAt.set(o.customer, m);
    for (const p of o.products) m.set(p, Math.max(m.get(p) ?? 0, o.placedAt.getTime()));
  }
  const buyers = new Map<string, Set<string>>();
  for (const [c, m] of lastAt) {
    const capped = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, opts.cap).map(([p]) => p);
    for (const p of capped) (buyers.get(p) ?? buyers.set(p, new Set()).get(p)!).add(c);
  }
  const result: Array<{ p: string; q: string; score: number; co: number }> = [];
  for (const [p, bp] of buyers) {
    const row: Array<{ p: string; q: string; score: number; co: number }> = [];
    for (const [q, bq] of buyers) {
      if (p === q) continue;
      const co = [...bp].filter((c) => bq.has(c)).length;
      if (co >= opts.minCo) row.push({ p, q, co, score: co / Math.sqrt(bp.size * bq.size) });
    }
    row.sort((a, b) => b.score - a.score || b.co - a.co || (a.q < b.q ? -1 : 1));
    result.push(...row.slice(0, opts.topK));
  }
  return { pairs: result, buyers };
}

async function storedSimilarities() {
  const rows = await app.sql<{ product_id: string; similar_product_id: string; score: number; co_buyers: number }>(
    'select product_id, similar_product_id, score, co_buyers from product_similarities',
  );
  return new Map(rows.map((r) => [`${r.product_id}|${r.similar_product_id}`, { score: Number(r.score), co: Number(r.co_buyers) }]));
}

beforeAll(async () => {
  app = await startTestApp();
  const rnd = mulberry32(20261204);
  const cats = ['books', 'music', 'garden'];
  for (let i = 0; i < 18; i++) {
    const p = await makeProduct(app, { name: `CF product ${i}`, category: cats[i % 3] });
    products.push({ id: p.id, uuid: uuid(p.id), name: p.name, category: p.category });
  }
  for (let i = 0; i < 40; i++) customers.push(uuid((await makeCustomer(app)).id));
  // Skewed popularity, so scores differ; distinct instants, so "most recent" is unambiguous.
  let t = Date.now() - 400 * DAY;
  const statuses = ['placed', 'paid', 'delivered', 'delivered', 'shipped', 'cancelled', 'returned'];
  for (const c of customers) {
    const n = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < n; k++) {
      const basket = new Set<string>();
      const size = 1 + Math.floor(rnd() * 4);
      while (basket.size < size) basket.add(products[Math.floor(Math.pow(rnd(), 1.6) * products.length)].uuid);
      t += 3_600_000;
      await insertOrder({ customer: c, placedAt: new Date(t), status: statuses[Math.floor(rnd() * statuses.length)], products: [...basket] });
    }
  }
  // Erased and merged customers' purchases must not count.
  erased = customers[0];
  await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: toGlobalId('Customer', erased) });
  merged = customers[1];
  await app.sql(`update customers set status = 'merged', merged_into_id = ? where id = ?`, [customers[2], merged]);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('product similarities', () => {
  it.each([
    ['a cap that bites, small K', { cap: 3, minCo: 2, topK: 4 }],
    ['the defaults', { cap: CF_PARAMS.maxProductsPerCustomer, minCo: CF_PARAMS.minCoBuyers, topK: CF_PARAMS.topK }],
    ['min co-buyers 1', { cap: 100, minCo: 1, topK: 50 }],
  ])('equal a brute-force cosine over the capped purchase vectors (%s)', async (_name, opts) => {
    const summary = await recomputeProductSimilarities(app.orm.em.fork() as EntityManager, { maxProductsPerCustomer: opts.cap, minCoBuyers: opts.minCo, topK: opts.topK });
    const want = bruteForce(opts, new Set([erased, merged]));
    const got = await storedSimilarities();
    // A precondition, not the check: enough pairs for the comparison to mean something. Which products
    // a small cap keeps depends on tie-breaks by random uuids, so the count varies by run (18 to 30+ seen).
    expect(want.pairs.length).toBeGreaterThan(10);
    expect(summary.pairs).toBe(want.pairs.length);
    expect(got.size).toBe(want.pairs.length);
    for (const w of want.pairs) {
      const g = got.get(`${w.p}|${w.q}`);
      expect({ pair: `${w.p}|${w.q}`, co: g?.co }).toEqual({ pair: `${w.p}|${w.q}`, co: w.co });
      expect(g!.score).toBeCloseTo(w.score, 12);
    }
    const pop = await app.sql<{ product_id: string; buyers: number }>('select product_id, buyers from product_popularity');
    expect(new Map(pop.map((r) => [r.product_id, Number(r.buyers)]))).toEqual(new Map([...want.buyers].map(([p, b]) => [p, b.size])));
  });

  it('has a data set where the exclusions and the cap matter (so the comparisons above can fail)', () => {
    const defaults = { cap: CF_PARAMS.maxProductsPerCustomer, minCo: CF_PARAMS.minCoBuyers, topK: CF_PARAMS.topK };
    const base = bruteForce(defaults, new Set([erased, merged])).pairs;
    expect(bruteForce(defaults, new Set()).pairs).not.toEqual(base);
    expect(bruteForce(defaults, new Set([erased])).pairs).not.toEqual(base);
    expect(bruteForce({ ...defaults, cap: 3 }, new Set([erased, merged])).pairs).not.toEqual(base);
  });

  it('is recomputed by the analytics run (recomputeAnalytics)', async () => {
    await app.sql('delete from product_similarities');
    const res = await app.gql(`mutation { recomputeAnalytics { customers productSimilarities } }`);
    expect(res.errors).toBeUndefined();
    const want = bruteForce({ cap: CF_PARAMS.maxProductsPerCustomer, minCo: CF_PARAMS.minCoBuyers, topK: CF_PARAMS.topK }, new Set([erased, merged]));
    expect(res.data.recomputeAnalytics.productSimilarities).toBe(want.pairs.length);
    expect((await storedSimilarities()).size).toBe(want.pairs.length);
  });

  it('serves Product.alsoBought from the table, best first', async () => {
    const got = await storedSimilarities();
    const p = products.find((x) => [...got.keys()].filter((k) => k.startsWith(x.uuid)).length >= 3)!;
    const res = await app.gql(`query($id: ID!) { product(id: $id) { alsoBought(first: 3) { score coBuyers product { id } } } }`, { id: p.id });
    expect(res.errors).toBeUndefined();
    const want = [...got].filter(([k]) => k.startsWith(`${p.uuid}|`)).sort((a, b) => b[1].score - a[1].score || b[1].co - a[1].co || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    expect(res.data.product.alsoBought.map((s: { product: { id: string } }) => uuid(s.product.id))).toEqual(want.map(([k]) => k.split('|')[1]));
    expect(res.data.product.alsoBought[0].score).toBeCloseTo(want[0][1].score, 12);
    expect(res.data.product.alsoBought[0].coBuyers).toBe(want[0][1].co);
  });
});

const RECS = `query($id: ID!, $first: Int) { customer(id: $id) { recommendations(first: $first) {
  available unavailableReason items { score source explanation becauseCategory product { id name category } because { id name } } } } }`;

describe('Customer.recommendations', () => {
  beforeAll(async () => {
    await recomputeProductSimilarities(app.orm.em.fork() as EntityManager);
  });

  it('scores by summed similarity to what the customer bought, excludes everything ordered, and explains', async () => {
    const sims = await storedSimilarities();
    // The active customer with the most kept purchases.
    const kept = (c: string) => new Set(orders.filter((o) => o.customer === c && !['cancelled', 'returned'].includes(o.status)).flatMap((o) => o.products));
    const everOrdered = (c: string) => new Set(orders.filter((o) => o.customer === c).flatMap((o) => o.products));
    const who = customers.slice(3).sort((a, b) => kept(b).size - kept(a).size)[0];
    const gid = toGlobalId('Customer', who);
    await grantPersonalization(gid);

    const rank = () => {
      const expected = new Map<string, { score: number; because: string; best: number }>();
      for (const [k, v] of sims) {
        const [p, q] = k.split('|');
        if (!kept(who).has(p) || everOrdered(who).has(q)) continue;
        const e = expected.get(q) ?? { score: 0, because: p, best: -1 };
        e.score += v.score;
        if (v.score > e.best || (v.score === e.best && p < e.because)) Object.assign(e, { best: v.score, because: p });
        expected.set(q, e);
      }
      return [...expected].sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
    };
    // The best candidate, ordered once and cancelled: it must not come back.
    const cancelledTop = rank()[0][0];
    await insertOrder({ customer: who, placedAt: new Date(Date.now() - DAY), status: 'cancelled', products: [cancelledTop] });
    const ranked = rank();
    expect(ranked.length).toBeGreaterThan(2);
    expect(ranked.map(([q]) => q)).not.toContain(cancelledTop);

    const res = await app.gql(RECS, { id: gid, first: 50 });
    expect(res.errors).toBeUndefined();
    const r = res.data.customer.recommendations;
    expect(r.available).toBe(true);
    const cf = r.items.filter((i: { source: string }) => i.source === 'CO_PURCHASE');
    expect(cf.map((i: { product: { id: string } }) => uuid(i.product.id))).toEqual(ranked.map(([q]) => q));
    cf.forEach((item: { score: number; because: { id: string; name: string }; explanation: string }, n: number) => {
      expect(item.score).toBeCloseTo(ranked[n][1].score, 10);
      expect(uuid(item.because.id)).toBe(ranked[n][1].because);
      expect(item.explanation).toBe(`Because you bought ${item.because.name}`);
    });
    // Whatever fills the rest, nothing the customer ever ordered (cancelled and returned included) comes back.
    for (const item of r.items) expect(everOrdered(who).has(uuid(item.product.id))).toBe(false);

    const top2 = await app.gql(RECS, { id: gid, first: 2 });
    expect(top2.data.customer.recommendations.items.map((i: { product: { id: string } }) => i.product.id)).toEqual(r.items.slice(0, 2).map((i: { product: { id: string } }) => i.product.id));
  });

  it('falls back to popular products of the categories a customer without purchases has viewed', async () => {
    const c = await makeCustomer(app);
    await grantPersonalization(c.id);
    const garden = products.filter((p) => p.category === 'garden');
    for (const p of [garden[0], garden[1], garden[0]]) {
      const v = await app.gql(`mutation($c: ID!, $p: ID!) { recordInteraction(input: { customerId: $c, channel: WEB, type: PRODUCT_VIEW, productId: $p }) { duplicate } }`, { c: c.id, p: p.id });
      expect(v.errors).toBeUndefined();
    }
    const res = await app.gql(RECS, { id: c.id, first: 5 });
    expect(res.errors).toBeUndefined();
    const r = res.data.customer.recommendations;
    expect(r.available).toBe(true);
    expect(r.items.length).toBeGreaterThan(0);
    const pop = await app.sql<{ product_id: string; buyers: number }>(`select product_id, buyers from product_popularity where category = 'garden' order by buyers desc, product_id limit 5`);
    expect(r.items.map((i: { product: { id: string } }) => uuid(i.product.id))).toEqual(pop.map((p) => p.product_id));
    for (const item of r.items) {
      expect(item).toMatchObject({ source: 'POPULAR_IN_CATEGORY', becauseCategory: 'garden', because: null, explanation: 'Popular in garden, a category you have shown interest in' });
    }
    expect(r.items[0].score).toBeCloseTo(1, 10);
  });

  it('is empty, with the reason, without PERSONALIZATION consent, and again once it is withdrawn', async () => {
    const who = customers[5];
    const gid = toGlobalId('Customer', who);
    const before = await app.gql(RECS, { id: gid });
    expect(before.data.customer.recommendations).toEqual({ available: false, unavailableReason: 'NO_PERSONALIZATION_CONSENT', items: [] });
    await grantPersonalization(gid);
    const granted = await app.gql(RECS, { id: gid });
    expect(granted.data.customer.recommendations.available).toBe(true);
    expect(granted.data.customer.recommendations.items.length).toBeGreaterThan(0);
    await grantPersonalization(gid, 'WITHDRAWN');
    const withdrawn = await app.gql(RECS, { id: gid });
    expect(withdrawn.data.customer.recommendations).toEqual({ available: false, unavailableReason: 'NO_PERSONALIZATION_CONSENT', items: [] });
  });

  it('answers per role on the served schema: staff and the customer self; never partners or other customers', async () => {
    const who = customers[6];
    const gid = toGlobalId('Customer', who);
    await grantPersonalization(gid);
    for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST]) {
      const res = await app.gql(RECS, { id: gid }, { role });
      expect({ role, errors: res.errors }).toEqual({ role, errors: undefined });
      expect(res.data.customer.recommendations.available).toBe(true);
    }
    const self = await app.gql(RECS, { id: gid }, { role: Role.CUSTOMER, customerId: gid });
    expect(self.errors).toBeUndefined();
    expect(self.data.customer.recommendations.items.length).toBeGreaterThan(0);
    const other = await app.gql(RECS, { id: gid }, { role: Role.CUSTOMER, customerId: toGlobalId('Customer', customers[7]) });
    expect(other.errors).toBeUndefined();
    expect(other.data.customer).toBeNull();
    // A partner that may read the customer (sharing granted, every scope) still may not read recommendations.
    await app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: THIRD_PARTY_SHARING, status: GRANTED, source: "test", policyVersion: "v1" }) { id } }`, { c: gid });
    const key = await app.gql(`mutation { createApiKey(input: { name: "recs-partner", scopes: ["customers:read", "orders:read", "interactions:read", "feedback:read", "customers:contact"] }) { secret } }`);
    const viaKey = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.data.createApiKey.secret }, body: JSON.stringify({ query: RECS, variables: { id: gid } }) });
    const body = (await viaKey.json()) as { data: { customer: unknown }; errors: Array<{ path: string[]; extensions: { code: string; reason: string } }> };
    expect(body.errors.map((e) => [e.path.join('.'), e.extensions.code, e.extensions.reason])).toEqual([['customer.recommendations', 'FORBIDDEN', 'ROLE']]);
  });

  it('refuses a first outside 0..50', async () => {
    const res = await app.gql(RECS, { id: toGlobalId('Customer', customers[6]), first: 51 });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('N+1 guard', () => {
  it('costs the same statements for 5 or 40 customers with recommendations and preferences, and 5 or 18 products with alsoBought', async () => {
    for (const c of customers.slice(2, 40)) await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version) values (?, 'personalization', 'any', 'granted', 'consent', 'test', 'v1')`, [c]);
    const q = `query($n: Int!) { customers(first: $n) { nodes { id
      recommendations(first: 3) { available items { score explanation product { sku } because { sku } } }
      preferences { stated { value } inferred { available categories { value score } brands { value } } } } } }`;
    const counts: number[] = [];
    for (const n of [5, 40]) {
      const res = await app.gql(q, { n });
      expect(res.errors).toBeUndefined();
      expect(res.data.customers.nodes.filter((c: { recommendations: { items: unknown[] } }) => c.recommendations.items.length > 0).length).toBeGreaterThan(n / 2);
      counts.push(res.extensions!.sqlStatements!);
    }
    expect(counts[1]).toBe(counts[0]);
    const p = `query($n: Int!) { products(first: $n) { nodes { sku alsoBought(first: 5) { score coBuyers product { sku } } } } }`;
    const pc: number[] = [];
    for (const n of [5, 18]) {
      const res = await app.gql(p, { n });
      expect(res.errors).toBeUndefined();
      expect(res.data.products.nodes.filter((x: { alsoBought: unknown[] }) => x.alsoBought.length > 0).length).toBeGreaterThan(n / 2);
      pc.push(res.extensions!.sqlStatements!);
    }
    expect(pc[1]).toBe(pc[0]);
  });
});
