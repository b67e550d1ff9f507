import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest } from '../helpers/fixtures';
import { asViewer, createAuthzFixtures, VIEWERS, type AuthzFixtures, type ViewerSpec } from './fixtures';
import { EXPECTED_MUTATIONS, EXPECTED_QUERIES, EXPECTED_SUBSCRIPTIONS, type ExpectedAccess, type RoleName } from './access-expectations';

/**
 * Every root query and mutation × every role: refused exactly when the reviewed expectations
 * (access-expectations.ts, independent of src/auth/policy.ts) say so, and a refused mutation changes no row.
 */
let app: TestApp;
let f: AuthzFixtures;
let sacrificial: string;
let segmentId: string;
beforeAll(async () => {
  app = await startTestApp();
  f = await createAuthzFixtures(app);
  const seg = await app.gql(`mutation { createSegment(input: { name: "root-probe", rule: { lifecycleStageIn: [ACTIVE] } }) { id } }`);
  segmentId = seg.data.createSegment.id;
  const c = await app.gql(`mutation { upsertCustomer(input: { email: "sacrificial@example.com" }) { customer { id } } }`);
  sacrificial = c.data.upsertCustomer.customer.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

let seq = 0;
/** A minimal valid operation for each root field (customer-role ownership: the consenting customer). */
/** Customers that do not exist (previewMerge, mergeCustomers probes). */
const NO_CUSTOMER = 'Q3VzdG9tZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx';
const NO_CUSTOMER_2 = 'Q3VzdG9tZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAy';
const NO_ENDPOINT = Buffer.from('WebhookEndpoint:00000000-0000-4000-8000-000000000000').toString('base64url');

function operation(field: string): { query: string; variables: Record<string, unknown> } {
  const me = f.consenting.id;
  seq++;
  const ops: Record<string, { query: string; variables?: Record<string, unknown> }> = {
    node: { query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: me } },
    nodes: { query: 'query($id: ID!) { nodes(ids: [$id]) { id } }', variables: { id: me } },
    customer: { query: 'query($id: ID!) { customer(id: $id) { id } }', variables: { id: me } },
    me: { query: '{ me { id } }' },
    customerByIdentifier: { query: '{ customerByIdentifier(kind: EMAIL, value: "yes.person@example.com") { id } }' },
    customers: { query: '{ customers(first: 1) { totalCount } }' },
    product: { query: 'query($id: ID!) { product(id: $id) { sku } }', variables: { id: f.productId } },
    products: { query: '{ products(first: 1) { totalCount } }' },
    exportCustomerData: { query: 'query($id: ID!) { exportCustomerData(customerId: $id) }', variables: { id: me } },
    auditLog: { query: '{ auditLog(first: 1) { totalCount } }' },
    apiKeys: { query: '{ apiKeys { name } }' },
    upsertCustomer: { query: 'mutation($id: ID!) { upsertCustomer(input: { id: $id, locale: "en-GB" }) { created } }', variables: { id: me } },
    recordOrder: {
      query: 'mutation($c: ID!, $p: ID!) { recordOrder(input: { customerId: $c, placedAt: "2026-02-01T00:00:00Z", channel: WEB, currency: "EUR", lines: [{ productId: $p, quantity: 1 }] }) { created } }',
      variables: { c: sacrificial, p: f.productId },
    },
    recordInteraction: { query: 'mutation($c: ID!) { recordInteraction(input: { customerId: $c, channel: WEB, type: PAGE_VIEW }) { duplicate } }', variables: { c: sacrificial } },
    ingestEvents: {
      query: 'mutation($c: ID!, $k: String!) { ingestEvents(events: [{ kind: INTERACTION, idempotencyKey: $k, customerId: $c, interaction: { occurredAt: "2026-02-01T00:00:00Z", channel: WEB, type: PAGE_VIEW } }]) { acceptedCount } }',
      variables: { c: sacrificial, k: `root-probe-${seq}` },
    },
    recordFeedback: { query: 'mutation($c: ID!) { recordFeedback(input: { customerId: $c, kind: NPS, score: 8 }) { id } }', variables: { c: me } },
    updateFeedbackStatus: { query: 'mutation($id: ID!) { updateFeedbackStatus(id: $id, status: ACKNOWLEDGED) { status } }', variables: { id: f.consenting.feedbackId } },
    setConsent: { query: 'mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: PROFILING, status: GRANTED, source: "test", policyVersion: "v1" }) { id } }', variables: { c: me } },
    upsertProduct: { query: `mutation { upsertProduct(input: { sku: "ROOT-${seq}", name: "x", category: "books", priceMinor: 1, currency: "EUR" }) { id } }` },
    eraseCustomer: { query: 'mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', variables: { c: sacrificial } },
    createApiKey: { query: `mutation { createApiKey(input: { name: "root-${seq}", scopes: ["customers:read"] }) { apiKey { name } } }` },
    segments: { query: '{ segments { name } }' },
    segment: { query: 'query($id: ID!) { segment(id: $id) { name } }', variables: { id: segmentId } },
    feedbackSummary: { query: 'query($s: DateTime!) { feedbackSummary(period: MONTH, since: $s) { responses nps } }', variables: { s: new Date(Date.now() - 86_400_000).toISOString() } },
    analyticsHistory: { query: '{ analyticsHistory(first: 1) { totalCount } }' },
    campaignMetrics: { query: 'query($s: DateTime!) { campaignMetrics(since: $s) { campaign sends } }', variables: { s: new Date(Date.now() - 86_400_000).toISOString() } },
    createSegment: { query: `mutation { createSegment(input: { name: "seg-${seq}", rule: { valueTierIn: [MAINTAIN] } }) { memberCount } }` },
    updateSegment: { query: 'mutation($id: ID!) { updateSegment(input: { id: $id, description: "probed" }) { name } }', variables: { id: segmentId } },
    deleteSegment: { query: 'mutation { deleteSegment(id: "U2VnbWVudDowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA") }' },
    recomputeAnalytics: { query: 'mutation { recomputeAnalytics { customers } }' },
    offers: { query: '{ offers { code } }' },
    offer: { query: 'query($id: ID!) { offer(id: $id) { code } }', variables: { id: 'T2ZmZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw' } },
    campaigns: { query: '{ campaigns { code } }' },
    createCampaign: { query: `mutation { createCampaign(input: { code: "root-${seq}", name: "x", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z" }) { code } }` },
    updateCampaign: { query: 'mutation { updateCampaign(input: { id: "Q2FtcGFpZ246MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", name: "y" }) { code } }' },
    createOffer: { query: `mutation { createOffer(input: { code: "root-${seq}", name: "x", valueMinor: 100, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z" }) { code } }` },
    updateOffer: { query: 'mutation { updateOffer(input: { id: "T2ZmZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", name: "y" }) { code } }' },
    recordOfferResponse: {
      query: 'mutation($c: ID!) { recordOfferResponse(input: { customerId: $c, offerId: "T2ZmZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", channel: EMAIL, response: SHOWN }) { duplicate } }',
      variables: { c: me },
    },
    // Ids that name no customer or merge: a granted role gets NOT_FOUND, and nothing is written.
    previewMerge: { query: 'query($s: ID!, $l: ID!) { previewMerge(survivorId: $s, loserId: $l) { moves { rows } } }', variables: { s: NO_CUSTOMER, l: NO_CUSTOMER_2 } },
    mergeCustomers: { query: 'mutation($s: ID!, $l: ID!) { mergeCustomers(input: { survivorId: $s, loserId: $l, reason: "probe" }) { merge { id } } }', variables: { s: NO_CUSTOMER, l: NO_CUSTOMER_2 } },
    unmergeCustomers: { query: 'mutation { unmergeCustomers(mergeId: "Q3VzdG9tZXJNZXJnZTowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA") { merge { id } } }' },
    setPreferences: { query: 'mutation($c: ID!) { setPreferences(customerId: $c, input: { categories: ["garden"] }) { __typename } }', variables: { c: me } },
    revokeApiKey: { query: 'mutation { revokeApiKey(id: "QXBpS2V5OjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA") { name } }' },
    rotateApiKey: { query: 'mutation { rotateApiKey(id: "QXBpS2V5OjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA") { secret } }' },
    // Webhooks: a granted role gets BAD_USER_INPUT or NOT_FOUND (no endpoint has these ids), and nothing is written.
    webhookEndpoints: { query: '{ webhookEndpoints { id } }' },
    webhookDeliveries: { query: `{ webhookDeliveries(endpointId: "${NO_ENDPOINT}") { totalCount } }` },
    createWebhookEndpoint: { query: 'mutation { createWebhookEndpoint(input: { url: "not a url", events: ["customer.created"] }) { secret } }' },
    updateWebhookEndpoint: { query: `mutation { updateWebhookEndpoint(input: { id: "${NO_ENDPOINT}", description: "x" }) { id } }` },
    deleteWebhookEndpoint: { query: `mutation { deleteWebhookEndpoint(id: "${NO_ENDPOINT}") }` },
    replayWebhookDelivery: { query: 'mutation { replayWebhookDelivery(id: "V2ViaG9va0RlbGl2ZXJ5OjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA") { id } }' },
  };
  const op = ops[field];
  if (!op) throw new Error(`no probe operation for root field ${field}: add one`);
  return { query: op.query, variables: op.variables ?? {} };
}

function expectation(v: ViewerSpec, policy: ExpectedAccess): { code: string; reason?: string } | null {
  if (!v.role) return { code: 'UNAUTHENTICATED' };
  const grant = policy[v.role as RoleName];
  if (!grant) return { code: 'FORBIDDEN', reason: 'ROLE' };
  if (typeof grant === 'object' && 'scope' in grant && !(v.scopes as string[] | undefined)?.includes(grant.scope)) return { code: 'FORBIDDEN', reason: 'SCOPE' };
  return null;
}

const ROOTS = [
  ...Object.entries(EXPECTED_QUERIES).map(([field, p]) => ['Query', field, p] as const),
  ...Object.entries(EXPECTED_MUTATIONS).map(([field, p]) => ['Mutation', field, p] as const),
];

describe.each(VIEWERS.map((v) => [v.name, v] as const))('%s', (_name, viewer) => {
  it.each(ROOTS.map(([kind, field, p]) => [`${kind}.${field}`, field, p, kind] as const))('%s', async (_label, field, policy, kind) => {
    const want = expectation(viewer, policy);
    const before = kind === 'Mutation' && want ? await databaseDigest(app) : null;
    const { query, variables } = operation(field);
    const res = await asViewer(app, f, viewer, query, variables);
    const authErrors = (res.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN' || e.extensions?.code === 'UNAUTHENTICATED');
    if (want) {
      expect(authErrors.map((e) => ({ code: e.extensions?.code, reason: e.extensions?.reason, path: e.path }))).toEqual([{ code: want.code, reason: want.reason, path: [field] }]);
      expect(res.data?.[field] ?? null).toBeNull();
      if (before) expect(await databaseDigest(app)).toBe(before);
    } else {
      expect(authErrors).toEqual([]);
    }
  });
});

it('has an expectation for every root field the schema exposes', async () => {
  const res = await app.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
  const queries = res.data.__schema.queryType.fields.map((x: { name: string }) => x.name).sort();
  const mutations = res.data.__schema.mutationType.fields.map((x: { name: string }) => x.name).sort();
  expect(queries).toEqual(Object.keys(EXPECTED_QUERIES).sort());
  expect(mutations).toEqual(Object.keys(EXPECTED_MUTATIONS).sort());
  // Subscriptions (README "Live updates") are probed through WebSocket in tests/integration/live-updates.test.ts.
  const subs = await app.gql(`{ __schema { subscriptionType { fields { name } } } }`);
  expect(subs.data.__schema.subscriptionType.fields.map((x: { name: string }) => x.name).sort()).toEqual(Object.keys(EXPECTED_SUBSCRIPTIONS).sort());
});
