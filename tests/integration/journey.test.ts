import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { isControl } from '../../src/campaigns/holdout';
import { fromGlobalId } from '../../src/schema/global-id';

/**
 * One customer's journey through the graph, over HTTP only: first visit → purchase → complaint →
 * win-back offer → a holdout campaign measured against its control group. At each step the timeline shows the newest item first, and recommendations and
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
  expect(welcome.createOffer.id).toBeTruthy();

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

  // 5. A come-back campaign that holds half of its eligible customers back. Who is held out follows
  // from a hash of (campaign, customer); customers are added until both groups have one.
  const emailConsent = (id: string) => ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'GRANTED', source: 'preference-centre', policyVersion: 'v3' } }));
  await emailConsent(me);
  const camp = await ok(app.gql(`mutation { createCampaign(input: { code: "come-back", name: "Come back", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE, controlPercent: 50, currency: "EUR", costMinor: 500 }) { id controlPercent attributionWindowDays } }`));
  expect(camp.createCampaign).toMatchObject({ controlPercent: 50, attributionWindowDays: 7 });
  const comeBack = await ok(app.gql(`mutation($c: ID!) { createOffer(input: { code: "come-back-10", name: "10 % off", campaignId: $c, valueMinor: 1000, discountPercent: 10, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE, maxAcceptancesPerCustomer: null }) { id } }`, { c: camp.createCampaign.id }));
  const held = (id: string) => isControl(fromGlobalId(camp.createCampaign.id)!.id, fromGlobalId(id)!.id, 50);
  const people = [me];
  while (!(people.some(held) && people.some((p) => !held(p))) && people.length < 40) {
    const other = (await makeCustomer(app)).id;
    await emailConsent(other);
    people.push(other);
  }
  const treated = people.find((p) => !held(p))!;
  const control = people.find(held)!;

  // The treated customer is offered the campaign; the control customer is not, and their timeline says so, once.
  expect((await context(treated)).nextBestOffers.map((o) => o.offer.code)).toContain('come-back-10');
  expect((await context(control)).nextBestOffers.map((o) => o.offer.code)).not.toContain('come-back-10');
  await context(control); // asked again: still one HELD_OUT
  const heldOut = (await context(control)).timeline.nodes.filter((n) => n.type === 'HELD_OUT');
  expect(heldOut).toHaveLength(1);
  const refused = await app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: control, offerId: comeBack.createOffer.id, channel: 'EMAIL', response: 'SHOWN' } });
  expect(refused.errors?.[0].extensions?.code).toBe('CONFLICT');

  // Shown, then buying with the offer's code at checkout; the control customer buys too, unprompted.
  await ok(app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: treated, offerId: comeBack.createOffer.id, channel: 'EMAIL', response: 'SHOWN' } }));
  await ok(app.gql(`mutation($i: RecordOrderInput!) { recordOrder(input: $i) { order { id } } }`, {
    i: { customerId: treated, channel: 'WEB', currency: 'EUR', placedAt: new Date().toISOString(), lines: [{ sku: sequel.sku, quantity: 2 }], promoCode: 'come-back-10' },
  }));
  await order(control, [cookbook.sku], 0);

  // The results compare like with like: one exposed converter, one control converter, no difference yet.
  const results = (await ok(app.gql(`query { campaignMetrics(since: "2026-01-01T00:00:00Z", campaign: "come-back") { results {
    exposed { customers converters revenueMinor } control { customers converters revenueMinor } uplift { estimate low high } verdict discountsMinor costMinor roi
    offers { offer { code } converterCount converters { id } } } } }`))).campaignMetrics[0].results;
  expect(results.exposed).toEqual({ customers: 1, converters: 1, revenueMinor: 2 * 1250 });
  expect(results.control).toEqual({ customers: 1, converters: 1, revenueMinor: 1250 });
  expect(results.uplift.estimate).toBe(0);
  expect(results.uplift.low).toBeLessThan(0);
  expect(results.verdict).toBe('no difference yet');
  expect(results.discountsMinor).toBe(250);
  expect(results.costMinor).toBe(500);
  expect(results.roi).toBeCloseTo((1250 - 500 - 250) / (500 + 250), 10);
  expect(results.offers).toEqual([{ offer: { code: 'come-back-10' }, converterCount: 1, converters: [{ id: treated }] }]);
}, 180_000);
