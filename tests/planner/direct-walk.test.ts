import { startTestApp, type TestApp } from '../helpers/test-server';
import { ok } from '../helpers/fixtures';
import { plannerStats } from '../../src/planner/read-planner';
import { directReads } from '../../src/planner/direct-walk';

/**
 * The direct walk (src/planner/direct-walk.ts) reads a plain @Field property or getter itself instead
 * of calling type-graphql's per-field resolver, recognising that resolver by its source text
 * (TG_BASIC / TG_GETTER). If type-graphql changes those closures (an upgrade), the walk silently
 * goes back to calling them: answers stay right, only slower. These requests, through the real HTTP
 * server, count the values the walk read that way, field by field, so that such a change fails here.
 */
let app: TestApp;
let customerId: string;
const ORDERS = 3;

beforeAll(async () => {
  app = await startTestApp();
  const product = await ok<{ upsertProduct: { id: string } }>(app.gql(`mutation { upsertProduct(input: { sku: "WALK-1", name: "Walk", category: "books", priceMinor: 1234, currency: "EUR" }) { id } }`));
  const up = await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(
    `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`,
    { input: { email: 'walk.person@example.com', firstName: 'Walk', lastName: 'Person' } },
  ));
  customerId = up.upsertCustomer.customer.id;
  for (let i = 0; i < ORDERS; i++) {
    await ok(app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`,
      { input: { customerId, placedAt: `2026-0${i + 1}-02T03:04:05.000Z`, channel: 'WEB', currency: 'EUR', lines: [{ productId: product.upsertProduct.id, quantity: i + 1 }] } }));
  }
}, 120_000);
afterAll(async () => {
  app.config.readPlanner = true;
  await app?.close();
});

/** What a request changed in directReads(). */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Sends `query` with the planner off, then on; the answer on must be the walk's and equal to the one off. */
async function walked(query: string, variables: Record<string, unknown>): Promise<{ data: any; reads: Record<string, number> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  app.config.readPlanner = false;
  const off = await app.gql(query, variables);
  expect(off.errors).toBeUndefined();
  app.config.readPlanner = true;
  const direct = plannerStats.direct;
  const before = directReads();
  const on = await app.gql(query, variables);
  const reads = delta(before, directReads());
  expect(on.errors).toBeUndefined();
  expect(on.data).toEqual(off.data);
  expect(plannerStats.direct - direct).toBe(1);
  return { data: on.data, reads };
}

it('reads plain @Field properties and getters without type-graphql\'s resolver, in a served customer read', async () => {
  const { data, reads } = await walked(
    `query($id: ID!) { customer(id: $id) { id email firstName createdAt orders(first: 5) { nodes { id placedAt status total { amountMinor currency amount } } } } }`,
    { id: customerId },
  );
  expect(data.customer.orders.nodes).toHaveLength(ORDERS);
  expect(data.customer.orders.nodes.map((o: { total: { amountMinor: number } }) => o.total.amountMinor).sort()).toEqual([1234, 2468, 3702]);
  expect(reads).toMatchObject({
    // Getters (TG_GETTER): Customer.id and Order.id read `globalId`, Order.total and Money.amount compute.
    'Customer.id': 1, 'Order.id': ORDERS, 'Order.total': ORDERS, 'Money.amount': ORDERS,
    // Properties (TG_BASIC).
    'Customer.email': 1, 'Customer.firstName': 1, 'Customer.createdAt': 1,
    'Order.placedAt': ORDERS, 'Order.status': ORDERS, 'Money.amountMinor': ORDERS, 'Money.currency': ORDERS,
  });
  // Customer.orders has a resolver of its own (the planner's stand-in): called, never read.
  expect(reads['Customer.orders']).toBeUndefined();
});

it('walks node(id) for a customer too: the Node interface resolved to Customer as graphql-js does', async () => {
  const { data, reads } = await walked(
    `query($id: ID!) { node(id: $id) { __typename id ... on Customer { email lastName } ... on Order { status } } }`,
    { id: customerId },
  );
  expect(data.node).toEqual({ __typename: 'Customer', id: customerId, email: 'walk.person@example.com', lastName: 'Person' });
  expect(reads).toEqual({ 'Customer.id': 1, 'Customer.email': 1, 'Customer.lastName': 1 });
});

it('answers node(id) for a customer that does not exist as null, by the walk', async () => {
  const missing = Buffer.from('Customer:00000000-0000-4000-8000-000000000000').toString('base64url');
  const { data, reads } = await walked(`query($id: ID!) { node(id: $id) { id ... on Customer { email } } }`, { id: missing });
  expect(data).toEqual({ node: null });
  expect(reads).toEqual({});
});
