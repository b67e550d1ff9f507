import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';

/**
 * README "Limits" over the WebSocket of live updates: a subscription is a request too. Its messages
 * are held to the body limit before they are read, and its document to the static cost and the
 * variables' shape, as over HTTP: each event delivered executes the subscription's selection again.
 */
let app: TestApp;
const BODY_LIMIT = 64 * 1024;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startTestApp({ BODY_LIMIT: String(BODY_LIMIT) });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await app?.close();
});

const wsUrl = () => app.url.replace(/^http/, 'ws');

/** The first error (or a timeout) of one subscription. */
async function firstError(connectionParams: Record<string, string>, query: string, variables: Record<string, unknown>): Promise<unknown> {
  const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
  clients.push(client);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('no error within 5 s: the subscription was accepted'), 5_000);
    client.subscribe({ query, variables }, {
      next: (r) => {
        if (r.errors) {
          clearTimeout(t);
          resolve(r.errors);
        }
      },
      error: (e) => {
        clearTimeout(t);
        resolve(e);
      },
      complete: () => undefined,
    });
  });
}

it('closes a socket whose message is larger than the body limit, before reading it (anonymous)', async () => {
  const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  // Before: ws' default limit of 100 MiB per message, parsed as JSON before the credentials are checked.
  socket.send(JSON.stringify({ type: 'connection_init', payload: { filler: 'x'.repeat(BODY_LIMIT + 1) } }));
  expect(await closed).toBe(1009); // Message Too Big
});

it('refuses a subscription over the cost limit (nested alsoBought), as over HTTP', async () => {
  const c = await makeCustomer(app);
  const token = await app.tokenFor(Role.CUSTOMER, c.id);
  // 50^4 products per event: over HTTP, the same selection is refused before it runs.
  const nested = 'alsoBought(first: 50) { product { alsoBought(first: 50) { product { alsoBought(first: 50) { product { alsoBought(first: 50) { product { id } } } } } } } }';
  const query = `subscription($id: ID!) { customerActivity(customerId: $id) { ... on Feedback { product { ${nested} } } } }`;
  const http = await app.gql(`query($id: ID!) { customer(id: $id) { feedback(first: 1) { nodes { product { ${nested} } } } } }`, { id: c.id }, { role: Role.CUSTOMER, customerId: c.id });
  expect(http.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' }) })]);
  const errors = await firstError({ Authorization: `Bearer ${token}` }, query, { id: c.id });
  expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', max: app.config.maxCost }) })]);
  expect(app.server.events.subscriberCount()).toBe(0);
});

it('refuses a subscription whose variables break the shape limits, as over HTTP', async () => {
  const c = await makeCustomer(app);
  const token = await app.tokenFor(Role.CUSTOMER, c.id);
  const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i]));
  const errors = await firstError({ Authorization: `Bearer ${token}` }, 'subscription($id: ID!) { customerActivity(customerId: $id) { __typename } }', { id: c.id, wide });
  expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_REQUEST', limit: 'variableKeys' }) })]);
  expect(app.server.events.subscriberCount()).toBe(0);
});
