import { Client } from 'pg';
import { TEST_JWT_SECRET } from '../helpers/test-server';
import { signToken } from '../../src/auth/jwt';
import { Role } from '../../src/auth/viewer';
import { bearer, leaks, post, startCustomApp, type CustomApp } from './helpers';

/**
 * A statement is made slow without touching the app: another session holds an ACCESS EXCLUSIVE lock
 * on `customers`, so any statement reading it waits, and statement_timeout (which counts lock waits)
 * cancels it.
 */
async function holdLock(url: string, table = 'customers'): Promise<{ client: Client; release(): Promise<void> }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query('begin');
  await c.query(`lock table ${table} in access exclusive mode`);
  return {
    client: c,
    async release() {
      await c.query('rollback');
      await c.end();
    },
  };
}

/** Statements of the app's database queued behind the lock (asked on the lock holder's own session). */
async function waitingStatements(lock: { client: Client }): Promise<number> {
  const r = await lock.client.query(`select count(*)::int n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
  return r.rows[0].n as number;
}

const LIST = { query: '{ customers(first: 5) { totalCount nodes { id } } }' };
let stmt: CustomApp;
let req: CustomApp;
let admin: Record<string, string>;
beforeAll(async () => {
  [stmt, req] = await Promise.all([
    startCustomApp({}, { statementTimeoutMs: 300 }),
    startCustomApp({ REQUEST_TIMEOUT_MS: '200' }, { statementTimeoutMs: 1500 }),
  ]);
  admin = bearer(await signToken(TEST_JWT_SECRET, { sub: 'timeouts-admin', role: Role.ADMIN }));
});
afterAll(async () => {
  await Promise.all([stmt?.close(), req?.close()]);
});

/**
 * The app serves `n` requests with data again. These apps have deliberately short timeouts (200 and
 * 300 ms), which any query can reach on a loaded machine: such an answer (that timeout's own code,
 * nothing else) is retried, any other error fails.
 */
async function servedAgain(app: CustomApp, n: number, timeoutCode: 'QUERY_TIMEOUT' | 'REQUEST_TIMEOUT') {
  let answered = 0;
  for (let i = 0; i < 10 * n && answered < n; i++) {
    const res = await post(app.url, LIST, admin);
    if (res.json.errors) expect(res.json.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: timeoutCode }) })]);
    else {
      expect(res.status).toBe(200);
      expect(res.json.data.customers.totalCount).toEqual(expect.any(Number));
      answered++;
    }
  }
  expect(answered).toBe(n);
}

const dbUrl = (app: CustomApp) => app.orm.config.get('clientUrl')!;
const digest = async (app: CustomApp) =>
  (await app.sql<{ d: string }>(`select md5(coalesce(string_agg(c::text, '|' order by c.id), '')) d from customers c`))[0].d;

it('every connection of the request pool carries statement_timeout', async () => {
  expect(await stmt.sql('show statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
});

it('cancels a long statement and answers QUERY_TIMEOUT: no 500, no SQL, no driver text', async () => {
  const lock = await holdLock(dbUrl(stmt));
  let res;
  try {
    // Answered while the lock is still held: the statement was cancelled, it did not complete.
    res = await post(stmt.url, LIST, admin);
  } finally {
    await lock.release();
  }
  expect(res.status).toBe(200);
  expect(res.json.data).toBeNull();
  expect(res.json.errors).toHaveLength(1);
  expect(res.json.errors[0]).toMatchObject({ path: ['customers'], extensions: { code: 'QUERY_TIMEOUT' } });
  expect(res.json.errors[0].message).toMatch(/took too long/);
  expect(leaks(res.text)).toBeUndefined();
  // Nothing of it is left running on the server.
  const active = await stmt.sql<{ n: string }>(`select count(*) n from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`);
  expect(Number(active[0].n)).toBe(0);
  // And the next requests are served as usual.
  await servedAgain(stmt, 3, 'QUERY_TIMEOUT');
});

it('a write cancelled by the timeout stores nothing', async () => {
  const before = await digest(stmt);
  const lock = await holdLock(dbUrl(stmt));
  let res;
  try {
    res = await post(stmt.url, { query: 'mutation { upsertCustomer(input: { email: "slow.write@example.com", firstName: "Slow" }) { created } }' }, admin);
  } finally {
    await lock.release();
  }
  expect(res.status).toBe(200);
  expect(res.json.errors[0].extensions.code).toBe('QUERY_TIMEOUT');
  expect(leaks(res.text)).toBeUndefined();
  expect(await digest(stmt)).toBe(before);
});

it('answers 503 REQUEST_TIMEOUT past REQUEST_TIMEOUT_MS, then drops the late answer quietly', async () => {
  const lock = await holdLock(dbUrl(req));
  let res;
  try {
    // Answered while the lock is held, so before the statement could finish.
    res = await post(req.url, LIST, admin);
    // The abandoned statement then hits its own timeout (1.5 s) while the lock is still held: its late
    // failure must be dropped quietly. Waited for as a signal (no statement left queued), not a time.
    while ((await waitingStatements(lock)) > 0) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await lock.release();
  }
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.json).toEqual({ errors: [{ message: expect.stringMatching(/not answered within 200 ms/), extensions: { code: 'REQUEST_TIMEOUT' } }] });
  // The server is fine afterwards, on new and on reused connections.
  await servedAgain(req, 3, 'REQUEST_TIMEOUT');
});
