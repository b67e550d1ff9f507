import { startTestApp, type TestApp } from '../helpers/test-server';
import { Customer360Document } from '../generated/graphql';
import { seedDemoData } from '../../src/cli/seed';
import type { EntityManager } from '@mikro-orm/postgresql';
import { mergeCustomers } from '../../src/services/merge.service';
import { parseMergePolicy } from '../../src/services/merge-policy';
import { fromGlobalId } from '../../src/schema/global-id';
import { Role } from '../../src/auth/viewer';
import { plannerStats } from '../../src/planner/read-planner';

/**
 * The N+1 guard: a nested customer-360 list query must cost the same number of SQL statements
 * whether it returns 5 customers or 100. The server counts statements per request
 * (extensions.sqlStatements, from a wrapper around pg's Client.query).
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 150, seed: 7 });
});
afterAll(async () => {
  await app?.close();
});

it('keeps the statement count of a nested list query independent of the list size', async () => {
  const counts: Record<number, number> = {};
  for (const first of [5, 100]) {
    const res = await app.gql(Customer360Document, { first, orders: 3, interactions: 5 });
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.customers.nodes;
    expect(nodes).toHaveLength(first);
    // The data really is nested: many customers have orders with lines and products.
    expect(nodes.filter((n) => n.orders.nodes.some((o) => o.lines.length > 0 && o.lines[0].product.sku)).length).toBeGreaterThan(first / 2);
    expect(nodes.filter((n) => n.consents.current.length > 0).length).toBe(first);
    counts[first] = res.extensions!.sqlStatements!;
  }
  expect(counts[100]).toBe(counts[5]);
  // One statement per list level and per count, never per item.
  expect(counts[5]).toBeLessThanOrEqual(16);
});

it('with READ_PLANNER on, answers the nested customer-360 list in one statement (plus the audit write), whatever its size, with the same data', async () => {
  const counts: Record<number, number> = {};
  try {
    for (const first of [5, 100]) {
      app.config.readPlanner = false;
      const off = await app.gql(Customer360Document, { first, orders: 3, interactions: 5 });
      app.config.readPlanner = true;
      const direct = plannerStats.direct;
      const on = await app.gql(Customer360Document, { first, orders: 3, interactions: 5 });
      // Answered by the direct walk (every verdict known for an admin).
      expect(plannerStats.direct - direct).toBe(1);
      expect(on.errors).toBeUndefined();
      expect(on.data).toEqual(off.data);
      expect(on.data!.customers.nodes).toHaveLength(first);
      counts[first] = on.extensions!.sqlStatements!;
    }
  } finally {
    app.config.readPlanner = false;
  }
  expect(counts[100]).toBe(counts[5]);
  // The planner's one statement and the audit write of the personal-data reads.
  expect(counts[5]).toBe(2);
});

it('with READ_PLANNER on, runs the statement once when the direct walk gives a compiled answer to graphql-js (consent-gated fields)', async () => {
  // Marketing reads names and contact data only with the customer's consent: those verdicts need a
  // lookup, so the direct walk (src/planner/direct-walk.ts) gives up and graphql-js executes the
  // operation over the root answer already fetched.
  const counts: Record<number, number> = {};
  try {
    for (const first of [5, 100]) {
      app.config.readPlanner = false;
      const off = await app.gql(Customer360Document, { first, orders: 3, interactions: 5 }, { role: Role.MARKETING });
      app.config.readPlanner = true;
      const before = { ...plannerStats };
      const on = await app.gql(Customer360Document, { first, orders: 3, interactions: 5 }, { role: Role.MARKETING });
      expect(plannerStats.compiled - before.compiled).toBe(1);
      expect(plannerStats.directGaveUp - before.directGaveUp).toBe(1);
      expect(on.data).toEqual(off.data);
      // The same errors; their order follows which consent lookup settles first (as between two runs of either path).
      const sorted = (errors: unknown[] | undefined) => (errors ?? []).map((e) => JSON.stringify(e)).sort();
      expect(sorted(on.errors)).toEqual(sorted(off.errors));
      expect(on.errors?.length).toBeGreaterThan(0);
      counts[first] = on.extensions!.sqlStatements!;
    }
  } finally {
    app.config.readPlanner = false;
  }
  expect(counts[100]).toBe(counts[5]);
  // The planner's one statement (not a second one when graphql-js takes over) and the audit write.
  expect(counts[5]).toBe(2);
});

it('batches a nested page across parents: the orders of 100 customers come from one statement', async () => {
  const small = await app.gql(`query { customers(first: 100) { nodes { id } } }`);
  const withOrders = await app.gql(`query { customers(first: 100) { nodes { id orders(first: 2) { nodes { id } } } } }`);
  expect(withOrders.extensions!.sqlStatements! - small.extensions!.sqlStatements!).toBe(1);
});

it('batches Customer.merges (and the survivor/loser of each) across customers: statements do not grow with the list', async () => {
  // Merge 10 pairs so the listed survivors have merges to load.
  const ids = await app.sql<{ id: string }>(`select id from customers where status = 'active' order by created_at desc, id desc limit 20`);
  // Seeded customers each hold a CRM id of the same CRM: the default one-per-namespace limit would refuse.
  const policy = parseMergePolicy('{"limits":{}}');
  for (let i = 0; i + 1 < ids.length; i += 2) {
    await mergeCustomers(app.orm.em.fork() as EntityManager, ids[i].id, ids[i + 1].id, 'sql-count probe', 'test', { policy });
  }
  const query = `query($first: Int!) { customers(first: $first) { nodes { id provenance { field } merges { id automatic moves { table rows } survivor { id } loser { id status } } } } }`;
  const counts: Record<number, number> = {};
  for (const first of [5, 100]) {
    const res = await app.gql(query, { first });
    expect(res.errors).toBeUndefined();
    expect(res.data.customers.nodes.filter((n: { merges: unknown[] }) => n.merges.length > 0).length).toBeGreaterThanOrEqual(5);
    counts[first] = res.extensions!.sqlStatements!;
  }
  expect(counts[100]).toBe(counts[5]);
});

it('batches next-best offers, recommendations and preferences across customers: statements do not grow with the list', async () => {
  // Every listed customer is eligible for the offer through the web (personalisation consent).
  await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
                 select id, 'personalization', 'any', 'granted', 'consent', 'sql-count', 'v1', now() from customers where status = 'active'`);
  const offer = await app.gql(`mutation { createOffer(input: { code: "sql-count", name: "Probe", valueMinor: 500, currency: "EUR", channels: [WEB], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE }) { id } }`);
  expect(offer.errors).toBeUndefined();
  const query = `query($first: Int!) { customers(first: $first) { nodes { id
    nextBestOffers(channel: WEB, first: 3) { offer { code } score }
    recommendations(first: 3) { available items { product { sku } because { sku } } }
    preferences { stated { kind } inferred { available categories { value } } } } } }`;
  const counts: Record<number, number> = {};
  for (const first of [5, 100]) {
    const res = await app.gql(query, { first });
    expect(res.errors).toBeUndefined();
    const nodes = res.data.customers.nodes as Array<{ nextBestOffers: Array<{ offer: { code: string } }>; recommendations: { available: boolean } }>;
    expect(nodes.every((n) => n.nextBestOffers.some((o) => o.offer.code === 'sql-count'))).toBe(true);
    expect(nodes.every((n) => n.recommendations.available)).toBe(true);
    counts[first] = res.extensions!.sqlStatements!;
  }
  expect(counts[100]).toBe(counts[5]);
});

it('fetches totalCount with its page, in the page statement: right under cursors, filters, fragments and for parents with no children', async () => {
  const listQuery = (count: boolean) => `query($after: String) { customers(first: 100) { nodes { id
    orders(first: 1, after: $after) { ${count ? 'totalCount' : ''} nodes { id } }
    interactions(first: 2, filter: { channels: [WEB] }) { ...Counted nodes { id } }
    feedback(first: 1) { ... on FeedbackConnection { totalCount } nodes { id } }
    consents { history(first: 1, purpose: EMAIL_MARKETING) { totalCount nodes { id } } } } } }
    fragment Counted on InteractionConnection { totalCount }`;
  const withCounts = await app.gql(listQuery(true));
  expect(withCounts.errors).toBeUndefined();
  const noOrderCount = await app.gql(listQuery(false));
  // The orders count came with the orders page: selecting it costs no statement.
  expect(withCounts.extensions!.sqlStatements).toBe(noOrderCount.extensions!.sqlStatements);

  type Node = { id: string; orders: { totalCount: number }; interactions: { totalCount: number }; feedback: { totalCount: number }; consents: { history: { totalCount: number } } };
  const nodes = withCounts.data.customers.nodes as Node[];
  const truth = await app.sql<{ id: string; orders: string; web: string; feedback: string; email: string }>(
    `select c.id,
       (select count(*) from orders o where o.customer_id = c.id) as orders,
       (select count(*) from interactions i where i.customer_id = c.id and i.channel = 'web') as web,
       (select count(*) from feedback f where f.customer_id = c.id) as feedback,
       (select count(*) from consent_records r where r.customer_id = c.id and r.purpose = 'email_marketing') as email
     from customers c where c.id = any(?::uuid[])`,
    [`{${nodes.map((n) => fromGlobalId(n.id)!.id).join(',')}}`],
  );
  const byId = new Map(truth.map((t) => [t.id, t]));
  let zeroes = 0;
  for (const n of nodes) {
    const t = byId.get(fromGlobalId(n.id)!.id)!;
    expect([n.orders.totalCount, n.interactions.totalCount, n.feedback.totalCount, n.consents.history.totalCount])
      .toEqual([Number(t.orders), Number(t.web), Number(t.feedback), Number(t.email)]);
    if (n.feedback.totalCount === 0 || n.orders.totalCount === 0) zeroes++;
  }
  // Parents without children (the left-joined rows) are among them.
  expect(zeroes).toBeGreaterThan(0);

  // Past a cursor the count is still the total, not what is left.
  const heavy = nodes.find((n) => n.orders.totalCount >= 3)!;
  const one = `query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after) { totalCount pageInfo { endCursor } nodes { id } } } }`;
  const first = await app.gql(one, { id: heavy.id });
  const second = await app.gql(one, { id: heavy.id, after: first.data.customer.orders.pageInfo.endCursor });
  expect(second.data.customer.orders.totalCount).toBe(heavy.orders.totalCount);
  expect(second.data.customer.orders.nodes[0].id).not.toBe(first.data.customer.orders.nodes[0].id);
});

it('batches campaign results, their offers and converters across campaigns: statements do not grow with the number of campaigns', async () => {
  const codes = ['sc-1', 'sc-2', 'sc-3', 'sc-4'];
  for (const code of codes) {
    const c = await app.gql(`mutation { createCampaign(input: { code: "${code}", name: "${code}", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE, controlPercent: 20 }) { id } }`);
    const o = await app.gql(`mutation($c: ID!) { createOffer(input: { code: "${code}-o", name: "o", campaignId: $c, valueMinor: 100, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE }) { id } }`, { c: c.data.createCampaign.id });
    const offerId = fromGlobalId(o.data.createOffer.id)!.id;
    // Shown to 10 customers of its own (a later touch of another campaign would take their orders), each of whom then ordered within the window.
    await app.sql(
      `insert into interactions (customer_id, occurred_at, channel, type, campaign, properties)
       select id, now() - interval '2 days', 'email', 'offer_shown', ?, jsonb_build_object('offerId', ?::text)
       from (select id from customers where status = 'active' and exists (select 1 from orders o where o.customer_id = customers.id) order by id offset ? limit 10) x`,
      [code, offerId, codes.indexOf(code) * 10],
    );
    await app.sql(
      `insert into orders (customer_id, placed_at, channel, currency, subtotal_minor, discount_minor, total_minor, source, external_id)
       select id, now() - interval '1 day', 'web', 'EUR', 1000, 0, 1000, 'sql-count', ? || id from (select distinct customer_id id from interactions where campaign = ?) x`,
      [code, code],
    );
  }
  const Q = (filter: string) => `query { campaignMetrics(since: "2026-01-01T00:00:00Z"${filter}) { campaign results {
    exposed { customers converters } control { customers } uplift { estimate } variants { offer { code } }
    offers { offer { code } converterCount converters(first: 20) { id } } } } }`;
  const one = await app.gql(Q(', campaign: "sc-1"'));
  const all = await app.gql(Q(''));
  expect(all.errors).toBeUndefined();
  const rows = all.data.campaignMetrics.filter((r: { campaign: string }) => codes.includes(r.campaign));
  expect(rows).toHaveLength(4);
  for (const r of rows) expect(r.results.offers[0].converters.length).toBeGreaterThan(0);
  expect(all.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
});

it('batches Segment.customers, .entered and .left across segments: statements do not grow with the number of segments, and pages agree with customers(filter)', async () => {
  const Q = `query { segments { id memberCount
    customers(first: 3) { totalCount nodes { id } pageInfo { hasNextPage } }
    entered(since: "2000-01-01T00:00:00Z", first: 3) { nodes { enteredAt customer { id } } }
    left(since: "2000-01-01T00:00:00Z", first: 3) { nodes { leftAt } } } }`;
  const create = (name: string, country: string) =>
    app.gql(`mutation { createSegment(input: { name: "${name}", rule: { country: ["${country}"] } }) { id } }`);
  expect((await create('sql-count GB', 'GB')).errors).toBeUndefined();
  const few = await app.gql(Q);
  expect(few.errors).toBeUndefined();
  for (const [name, country] of [['sql-count DE', 'DE'], ['sql-count FR', 'FR'], ['sql-count US', 'US']]) {
    expect((await create(name, country)).errors).toBeUndefined();
  }
  const many = await app.gql(Q);
  expect(many.errors).toBeUndefined();
  type Seg = { id: string; memberCount: number; customers: { totalCount: number; nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean } }; entered: { nodes: Array<{ enteredAt: string }> } };
  const segments: Seg[] = many.data.segments;
  expect(segments.length).toBe(few.data.segments.length + 3);
  expect(many.extensions!.sqlStatements).toBe(few.extensions!.sqlStatements);
  // The batched page is the same page customers(filter: { segmentId }) gives, newest customers first.
  const withMembers = segments.filter((s) => s.memberCount > 0);
  expect(withMembers.length).toBeGreaterThanOrEqual(2);
  for (const s of withMembers) {
    const direct = await app.gql(`query($s: ID!) { customers(first: 3, filter: { segmentId: $s }, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount nodes { id } } }`, { s: s.id });
    expect(direct.errors).toBeUndefined();
    expect(s.customers.nodes.map((n) => n.id)).toEqual(direct.data.customers.nodes.map((n: { id: string }) => n.id));
    expect(s.customers.totalCount).toBe(direct.data.customers.totalCount);
    expect(s.customers.totalCount).toBe(s.memberCount);
    expect(s.customers.pageInfo.hasNextPage).toBe(s.memberCount > 3);
    const times = s.entered.nodes.map((n) => n.enteredAt);
    expect([...times].sort().reverse()).toEqual(times);
  }
});

it('batches Segment.members (the consent-filtered export): statements do not grow with the page size', async () => {
  // A segment holding every active customer, and e-mail marketing granted by e-mail to all of them.
  const [seg] = await app.sql<{ id: string }>(`insert into segments (name, rule, created_by) values ('sql-count members', '{"country":["ZZ"]}', 'test') returning id`);
  await app.sql(`insert into segment_memberships (segment_id, customer_id, entered_at) select ?, id, now() from customers where status = 'active' and email is not null`, [seg.id]);
  await app.sql(`insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
                 select id, 'email_marketing', 'email', 'granted', 'consent', 'sql-count', 'v1', now() from customers where status = 'active'`);
  const Q = `query($id: ID!, $first: Int!) { segment(id: $id) { members(consentPurpose: EMAIL_MARKETING, first: $first) {
    totalCount nodes { enteredAt customer { id email firstName } consent { id status recordedAt } } } } }`;
  const counts: Record<number, number> = {};
  for (const first of [5, 100]) {
    const res = await app.gql(Q, { id: Buffer.from(`Segment:${seg.id}`).toString('base64url'), first }, { role: Role.MARKETING });
    expect(res.errors).toBeUndefined();
    expect(res.data.segment.members.nodes).toHaveLength(first);
    expect(res.data.segment.members.nodes.every((n: { customer: { email: string } }) => n.customer.email)).toBe(true);
    counts[first] = res.extensions!.sqlStatements!;
  }
  expect(counts[100]).toBe(counts[5]);
});
