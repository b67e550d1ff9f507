import WebSocket, { WebSocketServer } from 'ws';
import pino from 'pino';
import { createServer } from '../../src/server';
import { logWebSocketErrors } from '../../src/hardening/websocket-errors';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
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

/**
 * Each event a subscription delivers executes its selection again: it gets the budget and the timeout
 * of one HTTP request (README "Limits"), not the run of the whole socket with neither.
 */
describe('each event of a subscription is a request of its own', () => {
  let small: TestApp;
  beforeAll(async () => {
    // Three list items per request; a second and a half per request (an event blocked by a lock reaches it).
    small = await startTestApp({ MAX_ROWS: '3', REQUEST_TIMEOUT_MS: '1500', LOG_LEVEL: 'error' });
  });
  afterAll(async () => {
    await small?.close();
  });

  /** Subscribes as an admin, records one order of `lines` lines, and answers the first event's result. */
  async function firstEvent(selection: string, lines: number, whileBlocked?: () => Promise<() => Promise<void>>) {
    const c = await makeCustomer(small);
    const product = await makeProduct(small);
    const token = await small.tokenFor(Role.ADMIN);
    const client = createClient({ url: small.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(client);
    const event = new Promise<{ data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
      client.subscribe({ query: `subscription($id: ID!) { customerActivity(customerId: $id) { __typename ... on Order { ${selection} } } }`, variables: { id: c.id } }, {
        next: (r) => resolve(r as never),
        error: reject,
        complete: () => reject(new Error('completed without an event')),
      });
    });
    for (let i = 0; i < 100 && small.server.events.subscriberCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(small.server.events.subscriberCount()).toBe(1);
    const release = whileBlocked ? await whileBlocked() : undefined;
    try {
      await ok(small.gql(`mutation($i: RecordOrderInput!) { recordOrder(input: $i) { order { id } } }`, {
        i: { customerId: c.id, channel: 'WEB', currency: 'EUR', placedAt: '2026-03-01T10:00:00Z', lines: Array.from({ length: lines }, () => ({ productId: product.id, quantity: 1 })) },
      }));
      return await event;
    } finally {
      await release?.();
    }
  }

  it('stops an event whose lists grow past the row budget, with one BUDGET_EXCEEDED error', async () => {
    // Before: the event carried all five lines (the budget was never set up for subscriptions).
    const result = await firstEvent('id lines { quantity }', 5);
    expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BUDGET_EXCEEDED', limit: 'rows', max: 3 }) })]);
    // Within the budget, the same selection is delivered whole.
    const within = await firstEvent('id lines { quantity }', 2);
    expect(within.errors).toBeUndefined();
    expect((within.data as { customerActivity: { lines: unknown[] } }).customerActivity.lines).toEqual([{ quantity: 1 }, { quantity: 1 }]);
  });

  it('abandons an event not executed within the request timeout, and cancels its statements', async () => {
    // The event's `customer { value }` reads customer_metrics, which another session holds locked
    // (the order's write does not read it): the event's statement waits until it is cancelled.
    let waitingAtRelease = -1;
    const result = await firstEvent('id customer { value { computedAt } }', 1, async () => {
      const { Client: PgClient } = await import('pg');
      const pg = new PgClient({ connectionString: small.orm.config.get('clientUrl') });
      await pg.connect();
      await pg.query('begin');
      await pg.query('lock table customer_metrics in access exclusive mode');
      const waiting = async () => (await pg.query(`select count(*)::int n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)).rows[0].n as number;
      return async () => {
        // Still under the lock: nothing of the app's is left waiting behind it once the cancel request
        // has arrived (it is sent as the event is abandoned, and delivered on a socket of its own).
        for (let i = 0; i < 250 && (waitingAtRelease = await waiting()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
        await pg.query('rollback');
        await pg.end();
      };
    });
    expect(waitingAtRelease).toBe(0);
    expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'REQUEST_TIMEOUT' }) })]);
  });
});

describe('refused messages are counted, not logged one by one', () => {
  /** A pino logger at debug whose lines land in `lines`. */
  const capture = () => {
    const lines: Array<{ level: number; msg: string; refused?: Record<string, number>; code?: string }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    return { lines, logger };
  };
  /** Opens a socket, sends one message over the limit, resolves with the close code. */
  const oversized = async (url: string, size: number) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { filler: 'x'.repeat(size) } }));
    return closed;
  };
  const WARN = 40;
  const DEBUG = 20;

  it('five oversized messages: five closes with 1009, one warn line, nothing on the console', async () => {
    const { lines, logger } = capture();
    const server = await createServer({ orm: app.orm, config: app.config, logger });
    const url = `ws://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push(await oversized(url, BODY_LIMIT + 1));
      expect(codes).toEqual([1009, 1009, 1009, 1009, 1009]);
      // Before: graphql-ws' console.error, once per message.
      expect(consoleError).not.toHaveBeenCalled();
      expect(consoleWarn).not.toHaveBeenCalled();
      const refusals = lines.filter((l) => /websocket message/.test(l.msg));
      expect(refusals.filter((l) => l.level === WARN).map((l) => l.refused)).toEqual([{ WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1 }]);
      expect(refusals.filter((l) => l.level === DEBUG).map((l) => l.code)).toEqual(Array(5).fill('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
    } finally {
      consoleError.mockRestore();
      consoleWarn.mockRestore();
      await server.close();
    }
  });

  it('one warn line per interval, with the count since the last one', async () => {
    const { lines, logger } = capture();
    let clock = 1_000_000;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 16 });
    wss.on('connection', (socket) => socket.once('error', () => { throw new Error('graphql-ws stand-in: must be replaced'); }));
    logWebSocketErrors(wss, logger, { intervalMs: 60_000, now: () => clock });
    await new Promise((resolve) => wss.once('listening', resolve));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    try {
      const warned = () => lines.filter((l) => l.level === WARN).map((l) => l.refused);
      await oversized(url, 100);
      for (let i = 0; i < 3; i++) {
        clock += 10_000;
        await oversized(url, 100);
      }
      expect(warned()).toEqual([{ WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1 }]);
      clock += 30_000; // 60 s after the first line
      await oversized(url, 100);
      expect(warned()).toEqual([{ WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1 }, { WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 4 }]);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
