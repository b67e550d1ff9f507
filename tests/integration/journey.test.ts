import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { fromGlobalId } from '../../src/schema/global-id';

/**
 * One customer's journey through the graph, over HTTP only: first visit → purchase → complaint →
 * win-back offer. At each step the timeline shows the newest item first, and recommendations and
 * next-best offers change accordingly.
 */
let app: TestApp;

const CONTEXT = `query($id: ID!) { customer(id: $id) {
  timeline(first: 3) { totalCount nodes { __typename ... on Interaction { type } ... on Feedback { kind } ... on Order { total { amountMinor } } } }
  recommendations(first: 5) { available items { source explanation product { sku } because { sku } } }
  nextBestOffers(channel: EMAIL, first: 5) { offer { code } pAccept reason }
  value { churnRisk negativeFeedback90d ordersCount }
} }`;
interface Context360 {
  timeline: { totalCount: number; nodes: Array<{ __typename: string; type?: string; kind?: string }> };
  recommendations: { available: boolean; items: Array<{ source: string; explanation: string; product: { sku: string }; because: { sku: string } | null }> };
  nextBestOffers: Array<{ offer: { code: string }; pAccept: number; reason: string }>;
  value: { churnRisk: number; negativeFeedback90d: number; ordersCount: number } | null;
}
const context = async (id: string): Promise<Context360> => (await ok(app.gql(CONTEXT, { id }))).customer;

const order = (customerId: string, skus: string[], daysAgo: number) =>
  ok(app.gql(`mutation($i: RecordOrderInput!) { recordOrder(input: $i) { order { id } } }`, {
    i: { customerId, channel: 'WEB', currency: 'EUR', placedAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString(), lines: skus.map((sku) => ({ sku, quantity: 1 })) },
  }));
const recompute = () => ok(app.gql('mutation { recomputeAnalytics { customers } }'));

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

it('follows one customer from first visit to purchase to complaint to a win-back offer', async () => {
  const novel = await makeProduct(app, { category: 'books', brand: 'Le Guin' });
  const sequel = await makeProduct(app, { category: 'books', brand: 'Le Guin' });
  const cookbook = await makeProduct(app, { category: 'food' });
  // Other customers' baskets give the co-purchase data: the novel goes with its sequel.
  for (let i = 0; i < 4; i++) {
    const other = (await makeCustomer(app)).id;
    await order(other, [novel.sku, sequel.sku], 40 + i);
    if (i === 0) await order(other, [cookbook.sku], 20);
  }

  // A win-back offer for customers with recent negative feedback, by email.
  const seg = await ok(app.gql(`mutation { createSegment(input: { name: "Unhappy lately", rule: { metric: { field: NEGATIVE_FEEDBACK_90D, op: GTE, value: 1 } } }) { id } }`));
  const welcome = await ok(app.gql(`mutation { createOffer(input: { code: "welcome", name: "Welcome", valueMinor: 300, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE }) { id } }`));
  const winBack = await ok(app.gql(`mutation($s: ID!) { createOffer(input: { code: "win-back", name: "We are sorry", goal: WIN_BACK, valueMinor: 2000, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE, targetSegmentIds: [$s] }) { id } }`, { s: seg.createSegment.id }));
  expect(fromGlobalId(welcome.createOffer.id)?.type).toBe('Offer');

  // 1. First visit: a profile, consent, page and product views.
  const me = (await makeCustomer(app)).id;
  for (const [purpose, channel] of [['PERSONALIZATION', 'ANY'], ['EMAIL_MARKETING', 'EMAIL']]) {
    await ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: me, purpose, channel, status: 'GRANTED', source: 'web-banner', policyVersion: 'v3' } }));
  }
  await ok(app.gql(`mutation($i: RecordInteractionInput!) { recordInteraction(input: $i) { duplicate } }`, { i: { customerId: me, channel: 'WEB', type: 'PAGE_VIEW' } }));
  await ok(app.gql(`mutation($i: RecordInteractionInput!) { recordInteraction(input: $i) { duplicate } }`, { i: { customerId: me, channel: 'WEB', type: 'PRODUCT_VIEW', productId: novel.id } }));
  await recompute();
  const visited = await context(me);
  expect(visited.timeline.nodes[0]).toMatchObject({ __typename: 'Interaction', type: 'PRODUCT_VIEW' });
  expect(visited.recommendations.items.filter((r) => r.source === 'CO_PURCHASE')).toEqual([]);
  expect(visited.nextBestOffers.map((o) => o.offer.code)).toEqual(['welcome']);

  // 2. A purchase: the timeline leads with it; recommendations now follow from it and exclude it.
  await order(me, [novel.sku], 0);
  await recompute();
  const bought = await context(me);
  expect(bought.timeline.nodes[0].__typename).toBe('Order');
  expect(bought.recommendations.available).toBe(true);
  const co = bought.recommendations.items.filter((r) => r.source === 'CO_PURCHASE');
  expect(co[0]).toMatchObject({ product: { sku: sequel.sku }, because: { sku: novel.sku } });
  expect(co[0].explanation).toContain(novel.name);
  expect(bought.recommendations.items.map((r) => r.product.sku)).not.toContain(novel.sku);
  expect(bought.value?.ordersCount).toBe(1);
  expect(bought.nextBestOffers.map((o) => o.offer.code)).not.toContain('win-back');

  // 3. A complaint: first on the timeline; after the recompute it counts against the customer and
  // puts them in the win-back segment, so the win-back offer appears and, worth more, ranks first.
  await ok(app.gql(`mutation($i: RecordFeedbackInput!) { recordFeedback(input: $i) { id } }`, { i: { customerId: me, kind: 'COMPLAINT', text: 'The book arrived damaged.', productId: novel.id } }));
  expect((await context(me)).timeline.nodes[0]).toMatchObject({ __typename: 'Feedback', kind: 'COMPLAINT' });
  await recompute();
  const unhappy = await context(me);
  expect(unhappy.value?.negativeFeedback90d).toBe(1);
  expect(unhappy.value!.churnRisk).toBeGreaterThanOrEqual(bought.value!.churnRisk);
  expect(unhappy.nextBestOffers.map((o) => o.offer.code)).toEqual(['win-back', 'welcome']);

  // 4. Accepting the win-back offer: an interaction on the timeline, and the offer is used up.
  await ok(app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: me, offerId: winBack.createOffer.id, channel: 'EMAIL', response: 'ACCEPTED' } }));
  const won = await context(me);
  expect(won.timeline.nodes[0]).toMatchObject({ __typename: 'Interaction', type: 'OFFER_ACCEPTED' });
  expect(won.nextBestOffers.map((o) => o.offer.code)).toEqual(['welcome']);

  // Withdrawing email consent leaves nothing to send by email.
  await ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: me, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'WITHDRAWN', source: 'preference-centre', policyVersion: 'v3' } }));
  expect((await context(me)).nextBestOffers).toEqual([]);
}, 120_000);
