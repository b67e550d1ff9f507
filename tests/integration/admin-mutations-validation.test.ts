import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer } from '../helpers/fixtures';
import { toGlobalId } from '../../src/schema/global-id';

/** Bad input to the later mutations (feedback workflow, segments, keys, erasure): clear code, nothing changed. */
let app: TestApp;
let segmentId: string;
let feedbackId: string;
const MISSING = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  app = await startTestApp();
  const c = await makeCustomer(app);
  const fb = await app.gql(`mutation($c: ID!) { recordFeedback(input: { customerId: $c, kind: COMPLAINT, text: "Broken" }) { id } }`, { c: c.id });
  feedbackId = fb.data.recordFeedback.id;
  const seg = await app.gql(`mutation { createSegment(input: { name: "Lapsed", rule: { lifecycleStageIn: [LAPSED] } }) { id } }`);
  segmentId = seg.data.createSegment.id;
  await app.gql(`mutation { createSegment(input: { name: "Taken", rule: { lifecycleStageIn: [NEW] } }) { id } }`);
});
afterAll(async () => {
  await app?.close();
});

const cases: Array<[string, string, () => Record<string, unknown>, string]> = [
  ['updateFeedbackStatus with an order id', 'mutation($id: ID!) { updateFeedbackStatus(id: $id, status: RESOLVED) { id } }', () => ({ id: toGlobalId('Order', MISSING) }), 'BAD_USER_INPUT'],
  ['updateFeedbackStatus of missing feedback', 'mutation($id: ID!) { updateFeedbackStatus(id: $id, status: RESOLVED) { id } }', () => ({ id: toGlobalId('Feedback', MISSING) }), 'NOT_FOUND'],
  ['updateFeedbackStatus with an unknown status', 'mutation($id: ID!) { updateFeedbackStatus(id: $id, status: CLOSED) { id } }', () => ({ id: feedbackId }), 'GRAPHQL_VALIDATION_FAILED'],
  ['updateSegment to a taken name', 'mutation($id: ID!) { updateSegment(input: { id: $id, name: "Taken" }) { id } }', () => ({ id: segmentId }), 'CONFLICT'],
  ['updateSegment with a malformed rule', 'mutation($id: ID!) { updateSegment(input: { id: $id, rule: { any: [] } }) { id } }', () => ({ id: segmentId }), 'BAD_USER_INPUT'],
  ['updateSegment with an empty name', 'mutation($id: ID!) { updateSegment(input: { id: $id, name: "  " }) { id } }', () => ({ id: segmentId }), 'BAD_USER_INPUT'],
  ['deleteSegment of a missing segment', 'mutation($id: ID!) { deleteSegment(id: $id) }', () => ({ id: toGlobalId('Segment', MISSING) }), 'NOT_FOUND'],
  ['revokeApiKey of a missing key', 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', () => ({ id: toGlobalId('ApiKey', MISSING) }), 'NOT_FOUND'],
  ['createApiKey without scopes', 'mutation { createApiKey(input: { name: "x", scopes: [] }) { secret } }', () => ({}), 'BAD_USER_INPUT'],
  ['createApiKey expiring in the past', 'mutation { createApiKey(input: { name: "x", scopes: ["customers:read"], expiresAt: "2001-01-01T00:00:00Z" }) { secret } }', () => ({}), 'BAD_USER_INPUT'],
  ['eraseCustomer of a missing customer', 'mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }', () => ({ id: toGlobalId('Customer', MISSING) }), 'NOT_FOUND'],
  ['eraseCustomer with a product id', 'mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }', () => ({ id: toGlobalId('Product', MISSING) }), 'BAD_USER_INPUT'],
];

it.each(cases)("%s", async (_name, query, variables, code) => {
  const before = await databaseDigest(app);
  const res = await app.gql(query, variables());
  expect(res.errors?.[0].extensions?.code).toBe(code);
  expect(res.errors?.[0].message.length).toBeGreaterThan(5);
  expect(await databaseDigest(app)).toBe(before);
});
