import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { Config } from '../config';
import { initOrm } from './orm';

/**
 * Routes GraphQL query operations to streaming read replicas (README "Scaling out").
 *
 * - Only query operations are routed; mutations, subscriptions and every write made while
 *   answering a query (audit rows) go to the primary.
 * - A background probe asks each replica how far it has replayed the primary's WAL. A replica that
 *   does not answer within `probeTimeoutMs` is taken out of rotation until a probe succeeds again.
 * - Read-your-writes: after a mutation the client receives the primary's WAL position
 *   (`X-Rapport-LSN`). A query carrying it back (`X-Rapport-Min-LSN`) is served by a replica only
 *   once that replica has replayed up to that position, waiting at most `waitMs`; otherwise by the
 *   primary. Without the header a query may see data up to one replica's lag old.
 */
export interface ReplicaTarget {
  orm: MikroORM;
  /** The replica's label (host:port/database), or null for the primary. */
  replica: string | null;
}

export interface ReadRouter {
  /** Where a query operation reads from, given the client's last-seen primary WAL position. */
  choose(minLsn: string | undefined): Promise<ReplicaTarget>;
  /** The primary's WAL position now: every transaction committed before the call is at or before it. */
  primaryLsn(): Promise<string>;
  /** Each replica's state, for /readyz and metrics. */
  status(): Array<{ replica: string; up: boolean; replayLsn: string | null }>;
  close(): Promise<void>;
}

export interface ReadRouterOptions {
  primary: MikroORM;
  replicas: Array<{ label: string; orm: MikroORM }>;
  /** Longest a read-your-writes query waits for a replica to catch up before using the primary. */
  waitMs: number;
  /** How often each replica is probed (health and replay position). */
  probeIntervalMs: number;
  probeTimeoutMs?: number;
  logger: Logger;
}

/** A PostgreSQL LSN ("16/B374D848") as a number that orders like the WAL. */
export function parseLsn(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

interface ReplicaState {
  label: string;
  orm: MikroORM;
  up: boolean;
  replayLsn: string | null;
  replay: bigint | undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createReadRouter(opts: ReadRouterOptions): Promise<ReadRouter> {
  const probeTimeoutMs = opts.probeTimeoutMs ?? Math.max(200, Math.min(1000, opts.probeIntervalMs));
  const states: ReplicaState[] = opts.replicas.map((r) => ({ label: r.label, orm: r.orm, up: false, replayLsn: null, replay: undefined }));
  let next = 0;
  let closed = false;

  const replayLsnOf = async (s: ReplicaState): Promise<string | null> => {
    const rows: Array<{ lsn: string | null; recovering: boolean }> = await withTimeout(
      s.orm.em.fork().getConnection().execute('select pg_last_wal_replay_lsn()::text as lsn, pg_is_in_recovery() as recovering'),
      probeTimeoutMs,
      `replica ${s.label}`,
    );
    // A server that is not in recovery is a promoted (or misconfigured) primary: not a replica to route to.
    if (!rows[0]?.recovering) throw new Error(`replica ${s.label} is not in recovery`);
    return rows[0].lsn;
  };

  const probe = async (s: ReplicaState) => {
    try {
      const lsn = await replayLsnOf(s);
      if (!s.up) opts.logger.info({ replica: s.label }, 'read replica in rotation');
      s.up = true;
      s.replayLsn = lsn;
      s.replay = lsn ? parseLsn(lsn) : undefined;
    } catch (err) {
      if (s.up) opts.logger.warn({ replica: s.label, err: (err as Error).message }, 'read replica out of rotation');
      s.up = false;
    }
  };

  await Promise.all(states.map(probe));
  const timer = setInterval(() => {
    if (!closed) for (const s of states) void probe(s);
  }, opts.probeIntervalMs);
  timer.unref();

  const primary: ReplicaTarget = { orm: opts.primary, replica: null };

  /** Has `s` replayed up to `min`? Re-asks the replica (its cached position may be a probe old). */
  const caughtUp = async (s: ReplicaState, min: bigint): Promise<boolean> => {
    if (s.replay !== undefined && s.replay >= min) return true;
    const deadline = Date.now() + opts.waitMs;
    for (;;) {
      try {
        const lsn = await replayLsnOf(s);
        s.replayLsn = lsn;
        s.replay = lsn ? parseLsn(lsn) : undefined;
      } catch {
        s.up = false;
        return false;
      }
      if (s.replay !== undefined && s.replay >= min) return true;
      if (Date.now() + 10 > deadline) return false;
      await sleep(10);
    }
  };

  return {
    async choose(minLsn) {
      const up = states.filter((s) => s.up);
      if (!up.length) return primary;
      const s = up[next++ % up.length];
      if (minLsn === undefined) return { orm: s.orm, replica: s.label };
      const min = parseLsn(minLsn);
      // An unreadable position cannot be honoured by a replica: the primary always can.
      if (min === undefined) return primary;
      return (await caughtUp(s, min)) ? { orm: s.orm, replica: s.label } : primary;
    },
    async primaryLsn() {
      const rows: Array<{ lsn: string }> = await opts.primary.em.fork().getConnection().execute('select pg_current_wal_lsn()::text as lsn');
      return rows[0].lsn;
    },
    status: () => states.map((s) => ({ replica: s.label, up: s.up, replayLsn: s.replayLsn })),
    async close() {
      closed = true;
      clearInterval(timer);
    },
  };
}

/** host:port/database of a postgres URL, without credentials: what logs and metrics may name. */
export function replicaLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'replica';
  }
}

/**
 * The router for `DATABASE_REPLICA_URLS`, each replica with a pool of its own under the same
 * statement timeout as the primary's request pool; undefined when none is configured.
 */
export async function openReadReplicas(
  config: Pick<Config, 'databaseReplicaUrls' | 'replicaWaitMs' | 'replicaProbeIntervalMs' | 'dbPoolMax' | 'dbStatementTimeoutMs'>,
  primary: MikroORM,
  logger: Logger,
): Promise<ReadRouter | undefined> {
  if (!config.databaseReplicaUrls.length) return undefined;
  // Connecting is lazy (pool min 0): a replica that is down at start-up only stays out of rotation.
  const replicas = await Promise.all(
    config.databaseReplicaUrls.map(async (url) => ({
      label: replicaLabel(url),
      orm: await initOrm(url, { poolMax: config.dbPoolMax, statementTimeoutMs: config.dbStatementTimeoutMs || undefined }),
    })),
  );
  const router = await createReadRouter({ primary, replicas, waitMs: config.replicaWaitMs, probeIntervalMs: config.replicaProbeIntervalMs, logger });
  return {
    ...router,
    async close() {
      await router.close();
      await Promise.all(replicas.map((r) => r.orm.close()));
    },
  };
}
