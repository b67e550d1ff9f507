import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { createLoaders, type Loaders } from './loaders';
import type { Viewer } from './auth/viewer';
import type { Config } from './config';
import { AuditRecorder, withActor } from './auth/audit';
import type { ActivityEvents } from './live/activity-events';

export interface Context {
  requestId: string;
  viewer: Viewer | null;
  /** This request's own EntityManager fork: identity map and loaders never outlive the request. */
  em: EntityManager;
  /**
   * The primary's fork. Usually `em` itself; for a query routed to a read replica, `em` reads from
   * the replica and whatever the query must write (audit rows) goes through this one.
   */
  primary: EntityManager;
  loaders: Loaders;
  config: Config;
  audit: AuditRecorder;
  /** Live updates: mutations publish what they wrote (after commit), subscriptions read from it. */
  events: ActivityEvents;
  /** Set by the tracking API, whose batches run as ingestEvents: the ingestion metrics' `path`. */
  ingestPath?: 'tracking';
}

export function createContext(orm: MikroORM, config: Config, viewer: Viewer | null, requestId: string, events: ActivityEvents): Context {
  const em = orm.em.fork() as EntityManager;
  return { requestId, viewer: viewer && withActor(viewer, config.pseudonymKeys), em, primary: em, loaders: createLoaders(em, config.pseudonymKeys), config, audit: new AuditRecorder(), events };
}

/** Points a query's reads at another server (a read replica): a fork and loaders of its own. */
export function readFrom(ctx: Context, orm: MikroORM): void {
  ctx.em = orm.em.fork() as EntityManager;
  ctx.loaders = createLoaders(ctx.em, ctx.config.pseudonymKeys, ctx.primary);
}
