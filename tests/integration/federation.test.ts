import { parse } from 'graphql';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';

/**
 * Rapport as a Federation 2 subgraph (FEDERATION=on, README "Federation"), composed with a second,
 * small subgraph (reviews) into a supergraph and queried through @apollo/gateway, with the viewer's
 * token forwarded: entities resolve in batches and under the same permissions as any read.
 */
let app: TestApp;
let reviews: ApolloServer;
let gateway: ApolloServer;
let gatewayUrl: string;
let reviewsUrl: string;
const ids = { products: [] as string[], ada: '', bob: '' };

const REVIEWS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Product @key(fields: "id") { id: ID! reviews: [Review!]! }
  type Customer @key(fields: "id") { id: ID! reviewCount: Int! }
  type Review { id: ID! rating: Int! product: Product! author: Customer }
  type Query { latestReviews: [Review!]! }
`;

async function gql(url: string, query: string, token?: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>; extensions?: { sqlStatements?: number } }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  app = await startTestApp({ FEDERATION: 'true' });
  for (let i = 0; i < 10; i++) {
    const p = await app.gql(`mutation($s: String!) { upsertProduct(input: { sku: $s, name: "Lamp", category: "lighting", currency: "EUR", priceMinor: 1000 }) { id } }`, { s: `FED-${i}` });
    expect(p.errors).toBeUndefined();
    ids.products.push(p.data.upsertProduct.id);
  }
  for (const [who, email] of [['ada', 'ada.fed@example.com'], ['bob', 'bob.fed@example.com']] as const) {
    const c = await app.gql(`mutation($e: String!) { upsertCustomer(input: { email: $e }) { customer { id } } }`, { e: email });
    ids[who] = c.data.upsertCustomer.customer.id;
    await app.gql(`mutation($c: ID!, $p: ID!) { recordOrder(input: { customerId: $c, placedAt: "2026-11-01T10:00:00Z", channel: WEB, currency: "EUR", lines: [{ productId: $p, quantity: 1 }] }) { order { id } } }`, { c: ids[who], p: ids.products[0] });
  }

  const reviewRows = ids.products.map((p, n) => ({ id: `r${n}`, rating: 1 + (n % 5), product: p, author: n % 2 ? ids.bob : ids.ada }));
  reviews = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(REVIEWS_SDL),
      resolvers: {
        Query: { latestReviews: () => reviewRows },
        Review: { product: (r: { product: string }) => ({ id: r.product }), author: (r: { author: string }) => ({ id: r.author }) },
        Product: { reviews: (p: { id: string }) => reviewRows.filter((r) => r.product === p.id) },
        Customer: { reviewCount: (c: { id: string }) => reviewRows.filter((r) => r.author === c.id).length },
      } as never,
    }),
  });
  reviewsUrl = (await startStandaloneServer(reviews, { listen: { port: 0, host: '127.0.0.1' } })).url;

  // Composition reads Rapport's SDL from the subgraph itself (`_service`, staff only), as rover does.
  const service = await app.gql(`{ _service { sdl } }`);
  expect(service.errors).toBeUndefined();
  const composed = composeServices([
    { name: 'rapport', url: app.url, typeDefs: parse(service.data._service.sdl) },
    { name: 'reviews', url: reviewsUrl, typeDefs: parse(REVIEWS_SDL) },
  ]);
  expect(composed.errors ?? []).toEqual([]);
  gateway = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: composed.supergraphSdl!,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (context.authorization) request.http!.headers.set('authorization', context.authorization);
          },
        }),
    }),
  });
  gatewayUrl = (await startStandaloneServer(gateway, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  })).url;
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await reviews?.stop();
  await app?.close();
});

it('declares Customer, Product and Order as entities keyed by id, and shows its SDL to staff only', async () => {
  const service = await app.gql(`{ _service { sdl } }`);
  const sdl = service.data._service.sdl as string;
  for (const type of ['Customer', 'Product', 'Order']) expect(sdl).toMatch(new RegExp(`type ${type} implements [^{]*@key\\(fields: "id"\\)`));
  const asCustomer = await app.gql(`{ _service { sdl } }`, {}, { role: Role.CUSTOMER, customerId: ids.ada });
  expect(asCustomer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

it('answers queries that span both subgraphs through the gateway', async () => {
  const token = await app.tokenFor(Role.ADMIN);
  const res = await gql(gatewayUrl, `{ latestReviews { rating product { sku name reviews { rating } } author { email reviewCount orders(first: 5) { totalCount } } } }`, token);
  expect(res.errors).toBeUndefined();
  expect(res.data.latestReviews).toHaveLength(10);
  expect(res.data.latestReviews[0]).toEqual({ rating: 1, product: { sku: 'FED-0', name: 'Lamp', reviews: [{ rating: 1 }] }, author: { email: 'ada.fed@example.com', reviewCount: 5, orders: { totalCount: 1 } } });
  expect(res.data.latestReviews[1].author.email).toBe('bob.fed@example.com');
});

it("resolves entities under the viewer's own rights: a customer sees only themselves", async () => {
  const token = await app.tokenFor(Role.CUSTOMER, ids.ada);
  const res = await gql(gatewayUrl, `{ latestReviews { rating author { id email } } }`, token);
  const authors = res.data.latestReviews.map((r: { author: { email: string } | null }) => r.author?.email ?? null);
  // Ada's own reviews carry her profile; Bob's reviews name no one to her (null, as node(id) answers).
  expect(authors.filter((a: string | null) => a === 'ada.fed@example.com')).toHaveLength(5);
  expect(authors.filter((a: string | null) => a === null)).toHaveLength(5);
  expect(JSON.stringify(res)).not.toContain('bob.fed@example.com');
});

it('resolves many representations with the statements of one (batched), and bounds their number', async () => {
  const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { sku } ... on Customer { email } } }`;
  const rep = (n: number) => ids.products.slice(0, n).map((id) => ({ __typename: 'Product', id })).concat([{ __typename: 'Customer', id: ids.ada }]);
  const one = await app.gql(q, { r: rep(1) });
  const ten = await app.gql(q, { r: rep(10) });
  expect(ten.errors).toBeUndefined();
  expect(ten.data._entities).toHaveLength(11);
  expect(ten.data._entities[9]).toEqual({ sku: 'FED-9' });
  expect(ten.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
  // A representation whose id names another type, or nothing, is null.
  const wrong = await app.gql(q, { r: [{ __typename: 'Product', id: ids.ada }, { __typename: 'Customer', id: 'nonsense' }] });
  expect(wrong.data._entities).toEqual([null, null]);
  const tooMany = await app.gql(q, { r: Array.from({ length: 101 }, () => ({ __typename: 'Product', id: ids.products[0] })) });
  expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});

it('keeps _entities to those who may read objects at all', async () => {
  const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }`;
  const anonymous = await app.gql(q, { r: [{ __typename: 'Customer', id: ids.ada }] }, { role: null });
  expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  const analyst = await app.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { email } } }`, { r: [{ __typename: 'Customer', id: ids.ada }] }, { role: Role.ANALYST });
  expect(analyst.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(JSON.stringify(analyst.data)).not.toContain('ada.fed@example.com');
});
