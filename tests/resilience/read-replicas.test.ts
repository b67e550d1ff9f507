import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm, migrate } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { signToken } from '../../src/auth/jwt';
import { Role } from '../../src/auth/viewer';
import { openReadReplicas, parseLsn, type ReadRouter } from '../../src/db/read-replicas';
import { pgBinDir, removeClusterDir, startPrimary, startReplica, type PgCluster } from '../helpers/pg-cluster';
import { migrationsKey } from '../helpers/seed-cache';

/**
 * A real primary and a real streaming replica (pg_basebackup -R from the machine's PostgreSQL
 * binaries), the server routing GraphQL queries to the replica (README "Scaling out"). Replication
 * lag is induced by pausing the replica's WAL replay, an outage by stopping the replica.
 */
const SECRET = 'replica-test-secret-at-least-32-characters';
const bin = pgBinDir();
// Where the binaries are missing, CI must say so rather than pass without testing anything.
const describeIfPg = bin || process.env.CI === 'true' ? describe : describe.skip;

let primary: PgCluster & { base: string };
let replica: PgCluster;
let orm: MikroORM;
let router: ReadRouter;
let server: RapportServer;
let base: string;
let token: string;

async function sqlOn(url: string, text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[]; extensions?: { readFrom?: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { status: res.status, lsn: res.headers.get('x-rapport-lsn'), body };
}

/** Polls `check` until it holds (replication and probes are asynchronous): no fixed sleeps. */
async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const replayed = async (lsn: string) => {
  const [row] = await sqlOn(replica.url('rapport'), 'select pg_last_wal_replay_lsn()::text as lsn');
  return parseLsn(String(row.lsn))! >= parseLsn(lsn)!;
};

const CUSTOMER_BY_ID = `query($id: ID!) { customer(id: $id) { id email } }`;

describeIfPg('read replicas', () => {
  beforeAll(async () => {
    if (!bin) throw new Error('PostgreSQL server binaries (pg_basebackup) not found under /usr/lib/postgresql: apt-get install postgresql');
    // A copy of a primary whose `rapport` database is migrated (made once, seed-cache.ts); migrate() then finds nothing to do.
    primary = await startPrimary(bin, { key: migrationsKey(), prepare: async (c) => {
      await sqlOn(c.url(), 'create database rapport');
      const seedOrm = await initOrm(c.url('rapport'), { poolMax: 2 });
      try {
        await migrate(seedOrm);
      } finally {
        await seedOrm.close(true);
      }
    } });
    orm = await initOrm(primary.url('rapport'), { poolMax: 4 });
    await migrate(orm);
    replica = await startReplica(bin, primary);
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: primary.url('rapport'),
      DATABASE_REPLICA_URLS: replica.url('rapport'),
      REPLICA_PROBE_INTERVAL_MS: '100',
      REPLICA_WAIT_MS: '300',
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'silent',
      EXPOSE_SQL_COUNT: 'true',
    });
    const logger = createLogger(config);
    router = (await openReadReplicas(config, orm, logger))!;
    server = await createServer({ orm, config, logger, readRouter: router });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    token = await signToken(SECRET, { sub: 'replica-test', role: Role.ADMIN });
    await until(() => router.status().every((s) => s.up), 'the replica in rotation');
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await router?.close();
    await orm?.close(true);
    await replica?.stop('immediate');
    await primary?.stop('immediate');
    if (primary) removeClusterDir(primary.base);
  });

  it('serves queries from the replica and writes (with their audit rows) on the primary', async () => {
    const created = await gql(`mutation { upsertCustomer(input: { email: "first@example.com", firstName: "Ada" }) { customer { id } } }`);
    expect(created.body.errors).toBeUndefined();
    // The mutation ran on the primary (a replica refuses writes) and says where the WAL stood after it.
    expect(created.lsn).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
    expect(parseLsn(created.lsn!)! > 0n).toBe(true);
    const id = created.body.data.upsertCustomer.customer.id as string;
    await until(() => replayed(created.lsn!), 'the replica to replay the write');

    const read = await gql(CUSTOMER_BY_ID, { id });
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.customer.email).toBe('first@example.com');
    expect(read.body.extensions?.readFrom).toBe('replica');
    // Reading personal data is audited, and the audit row went to the primary although the read did not.
    const audit = await sqlOn(primary.url('rapport'), `select count(*)::int as n from audit_log where action = 'READ' and 'Customer.email' = any(fields)`);
    expect(audit[0].n).toBe(1);
  });

  it('keeps read-your-writes under replication lag, and otherwise reads the (stale) replica', async () => {
    await sqlOn(replica.url('rapport'), 'select pg_wal_replay_pause()');
    try {
      const created = await gql(`mutation { upsertCustomer(input: { email: "lagging@example.com" }) { customer { id } } }`);
      expect(created.body.errors).toBeUndefined();
      const id = created.body.data.upsertCustomer.customer.id as string;

      // Without the client's position, a lagging replica answers: the new customer is not there yet.
      const stale = await gql(CUSTOMER_BY_ID, { id });
      expect(stale.body.extensions?.readFrom).toBe('replica');
      expect(stale.body.data.customer).toBeNull();

      // With it, the replica cannot honour it within REPLICA_WAIT_MS, so the primary answers.
      const fresh = await gql(CUSTOMER_BY_ID, { id }, { 'x-rapport-min-lsn': created.lsn! });
      expect(fresh.body.extensions?.readFrom).toBe('primary');
      expect(fresh.body.data.customer).toEqual({ id, email: 'lagging@example.com' });

      // An unreadable position is honoured the only safe way: by the primary.
      const garbled = await gql(CUSTOMER_BY_ID, { id }, { 'x-rapport-min-lsn': 'not-an-lsn' });
      expect(garbled.body.extensions?.readFrom).toBe('primary');
      expect(garbled.body.data.customer.id).toBe(id);

      await sqlOn(replica.url('rapport'), 'select pg_wal_replay_resume()');
      await until(() => replayed(created.lsn!), 'the replica to catch up');
      // Caught up: the same position is now honoured by the replica.
      const caughtUp = await gql(CUSTOMER_BY_ID, { id }, { 'x-rapport-min-lsn': created.lsn! });
      expect(caughtUp.body.extensions?.readFrom).toBe('replica');
      expect(caughtUp.body.data.customer).toEqual({ id, email: 'lagging@example.com' });
    } finally {
      await sqlOn(replica.url('rapport'), 'select pg_wal_replay_resume()').catch(() => undefined);
    }
  });

  it('falls back to the primary while the replica is down, and takes it back when it returns', async () => {
    const created = await gql(`mutation { upsertCustomer(input: { email: "outage@example.com" }) { customer { id } } }`);
    const id = created.body.data.upsertCustomer.customer.id as string;
    await replica.stop('immediate');
    await until(() => router.status().every((s) => !s.up), 'the replica out of rotation');
    const during = await gql(CUSTOMER_BY_ID, { id });
    expect(during.status).toBe(200);
    expect(during.body.errors).toBeUndefined();
    expect(during.body.extensions?.readFrom).toBe('primary');
    expect(during.body.data.customer.email).toBe('outage@example.com');

    await replica.start();
    await until(() => router.status().every((s) => s.up), 'the replica back in rotation');
    await until(() => replayed(created.lsn!), 'the replica to catch up');
    const after = await gql(CUSTOMER_BY_ID, { id });
    expect(after.body.extensions?.readFrom).toBe('replica');
    expect(after.body.data.customer.email).toBe('outage@example.com');
  });

  it('routes subscriptions-free mutations to the primary even when sent while the replica lags', async () => {
    await sqlOn(replica.url('rapport'), 'select pg_wal_replay_pause()');
    try {
      const created = await gql(`mutation { upsertCustomer(input: { email: "paused@example.com" }) { customer { id email } } }`);
      expect(created.body.errors).toBeUndefined();
      // The mutation's own answer reads its write back: it ran on the primary from start to end.
      expect(created.body.data.upsertCustomer.customer.email).toBe('paused@example.com');
      const onPrimary = await sqlOn(primary.url('rapport'), `select count(*)::int as n from customers where email = 'paused@example.com'`);
      expect(onPrimary[0].n).toBe(1);
      const onReplica = await sqlOn(replica.url('rapport'), `select count(*)::int as n from customers where email = 'paused@example.com'`);
      expect(onReplica[0].n).toBe(0);
    } finally {
      await sqlOn(replica.url('rapport'), 'select pg_wal_replay_resume()').catch(() => undefined);
    }
  });
});

describe('parseLsn', () => {
  it('orders WAL positions as PostgreSQL does, and refuses what is not one', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    for (const bad of ['', '0', '1/2/3', 'x/1', '123456789/0', '0/123456789']) expect(parseLsn(bad)).toBeUndefined();
  });
});
