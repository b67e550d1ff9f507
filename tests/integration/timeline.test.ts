import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct } from '../helpers/fixtures';
import { seedDemoData } from '../../src/cli/seed';

let app: TestApp;
let customerId: string;
const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();

const TIMELINE = `query($id: ID!, $first: Int!, $after: String, $kinds: [TimelineKind!], $since: DateTime) {
  customer(id: $id) { timeline(first: $first, after: $after, kinds: $kinds, since: $since) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { __typename ... on Order { placedAt } ... on Interaction { occurredAt type } ... on Feedback { submittedAt kind } ... on ConsentRecord { recordedAt status } }
  } } }`;

const when = (n: Record<string, string>) => n.placedAt ?? n.occurredAt ?? n.submittedAt ?? n.recordedAt;

beforeAll(async () => {
  app = await startTestApp();
  const c = await makeCustomer(app);
  customerId = c.id;
  const p = await makeProduct(app);
  // Five years of history across every kind, interleaved in time.
  await app.gql(`mutation($c: ID!, $p: ID!, $at: DateTime!) { recordOrder(input: { customerId: $c, placedAt: $at, channel: WEB, currency: "EUR", lines: [{ productId: $p, quantity: 1 }] }) { created } }`, { c: customerId, p: p.id, at: at(1800) });
  await app.gql(`mutation($c: ID!, $at: DateTime!) { setConsent(input: { customerId: $c, purpose: EMAIL_MARKETING, channel: EMAIL, status: GRANTED, source: "signup", policyVersion: "v1", recordedAt: $at }) { id } }`, { c: customerId, at: at(1799) });
  for (const d of [300, 200, 100, 10]) {
    await app.gql(`mutation($c: ID!, $at: DateTime!, $id: String!) { recordInteraction(input: { customerId: $c, occurredAt: $at, channel: WEB, type: PRODUCT_VIEW, sourceEventId: $id }) { duplicate } }`, { c: customerId, at: at(d), id: `tl-${d}` });
  }
  await app.gql(`mutation($c: ID!, $p: ID!, $at: DateTime!) { recordOrder(input: { customerId: $c, placedAt: $at, channel: WEB, currency: "EUR", lines: [{ productId: $p, quantity: 2 }] }) { created } }`, { c: customerId, p: p.id, at: at(9) });
  await app.gql(`mutation($c: ID!, $at: DateTime!) { recordFeedback(input: { customerId: $c, kind: COMPLAINT, text: "Late", submittedAt: $at }) { id } }`, { c: customerId, at: at(5) });
  await app.gql(`mutation($c: ID!, $at: DateTime!) { setConsent(input: { customerId: $c, purpose: EMAIL_MARKETING, channel: EMAIL, status: WITHDRAWN, source: "preference_centre", policyVersion: "v2", recordedAt: $at }) { id } }`, { c: customerId, at: at(4) });
  await seedDemoData(app.orm, { customers: 120, seed: 5 });
});
afterAll(async () => {
  await app?.close();
});

it('pages the whole history newest first across every kind, with no lookback cap', async () => {
  const seen: Array<Record<string, string>> = [];
  let after: string | null = null;
  let total = 0;
  do {
    const res: any = await app.gql(TIMELINE, { id: customerId, first: 3, after }); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(res.errors).toBeUndefined();
    const t = res.data.customer.timeline;
    total = t.totalCount;
    seen.push(...t.nodes);
    after = t.pageInfo.hasNextPage ? t.pageInfo.endCursor : null;
  } while (after);
  expect(total).toBe(9);
  expect(seen).toHaveLength(9);
  expect(seen.map((n) => n.__typename)).toEqual(['ConsentRecord', 'Feedback', 'Order', 'Interaction', 'Interaction', 'Interaction', 'Interaction', 'ConsentRecord', 'Order']);
  const times = seen.map(when);
  expect([...times].sort().reverse()).toEqual(times);
});

it('filters by kind and by time', async () => {
  const orders: any = await app.gql(TIMELINE, { id: customerId, first: 10, kinds: ['ORDER', 'FEEDBACK'] }); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(orders.data.customer.timeline.nodes.map((n: { __typename: string }) => n.__typename)).toEqual(['Feedback', 'Order', 'Order']);
  const recent: any = await app.gql(TIMELINE, { id: customerId, first: 10, since: at(150) }); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(recent.data.customer.timeline.totalCount).toBe(5);
});

it('costs one statement per page, however many customers ask', async () => {
  const base = `query($n: Int!) { customers(first: $n) { nodes { id } } }`;
  const withTimeline = `query($n: Int!) { customers(first: $n) { nodes { id timeline(first: 5) { nodes { __typename } } } } }`;
  for (const n of [5, 100]) {
    const a = await app.gql(base, { n });
    const b = await app.gql(withTimeline, { n });
    expect(b.errors).toBeUndefined();
    expect(b.extensions!.sqlStatements! - a.extensions!.sqlStatements!).toBe(1);
  }
});
