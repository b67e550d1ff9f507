import { connectRedis } from '../redis-client';
import type { Logger } from '../logger';

/**
 * Live activity events (README "Live updates"). A mutation that wrote an order, interaction, feedback
 * or consent record publishes `{ customerId, kind, id }` after its transaction committed; every
 * instance delivers it to its own `customerActivity` subscribers of that customer, which load the
 * entity by id themselves. Only ids and the kind ever leave the process (to Redis): no personal data.
 *
 * With `REDIS_URL` events go through one Redis pub/sub channel (`LIVE_CHANNEL`) that every instance
 * subscribes to, and are delivered only from there (so once per subscriber, whichever instance wrote);
 * without it, in process. Delivery is best effort: a subscriber that is offline, or a Redis outage,
 * loses events (the timeline is the record).
 */

/** `OutboxEvent`: a segment or lifecycle event relayed from the outbox (src/live/outbox-relay.ts); its id is the outbox id. */
export const ACTIVITY_KINDS = ['Order', 'Interaction', 'Feedback', 'ConsentRecord', 'OutboxEvent'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** Database ids (UUIDs; the bigint outbox id for OutboxEvent), not global ids. */
export interface ActivityEvent {
  customerId: string;
  kind: ActivityKind;
  id: string;
}

export interface ActivityEvents {
  /** Fire and forget: never throws (a failure is logged); the write it reports has already committed. */
  publish(event: ActivityEvent): void;
  /** A stream of this customer's events, from now on; `return()` ends it. */
  subscribe(customerId: string): AsyncIterableIterator<ActivityEvent>;
  /** Local subscribers (of one customer, or all): for tests and diagnostics. */
  subscriberCount(customerId?: string): number;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Events a slow subscriber may have waiting; past it the oldest are dropped. */
const MAX_BUFFERED = 256;

export function isActivityEvent(v: unknown): v is ActivityEvent {
  const e = v as Partial<ActivityEvent> | null;
  return !!e && typeof e === 'object' && typeof e.customerId === 'string' && UUID.test(e.customerId)
    && typeof e.id === 'string' && (e.kind === 'OutboxEvent' ? /^[1-9][0-9]{0,18}$/.test(e.id) : UUID.test(e.id))
    && (ACTIVITY_KINDS as readonly string[]).includes(e.kind as string);
}

/** One subscriber: a push queue read as an async iterator. */
class Subscription implements AsyncIterableIterator<ActivityEvent> {
  private buffer: ActivityEvent[] = [];
  private waiting: Array<(r: IteratorResult<ActivityEvent>) => void> = [];
  private done = false;

  constructor(private readonly onEnd: (s: Subscription) => void, private readonly logger: Logger) {}

  push(e: ActivityEvent): void {
    if (this.done) return;
    const w = this.waiting.shift();
    if (w) return w({ value: e, done: false });
    if (this.buffer.length >= MAX_BUFFERED) {
      this.buffer.shift();
      this.logger.warn({ customerId: e.customerId }, 'live subscriber too slow: oldest event dropped');
    }
    this.buffer.push(e);
  }

  next(): Promise<IteratorResult<ActivityEvent>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<ActivityEvent>> {
    if (!this.done) {
      this.done = true;
      this.buffer = [];
      for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
      this.onEnd(this);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<ActivityEvent>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** This instance's subscribers, by customer. */
class LocalHub {
  private readonly byCustomer = new Map<string, Set<Subscription>>();

  constructor(private readonly logger: Logger) {}

  subscribe(customerId: string): Subscription {
    let set = this.byCustomer.get(customerId);
    if (!set) this.byCustomer.set(customerId, (set = new Set()));
    const sub = new Subscription((s) => {
      set!.delete(s);
      if (!set!.size && this.byCustomer.get(customerId) === set) this.byCustomer.delete(customerId);
    }, this.logger);
    set.add(sub);
    return sub;
  }

  deliver(e: ActivityEvent): void {
    for (const s of this.byCustomer.get(e.customerId) ?? []) s.push(e);
  }

  count(customerId?: string): number {
    if (customerId !== undefined) return this.byCustomer.get(customerId)?.size ?? 0;
    let n = 0;
    for (const s of this.byCustomer.values()) n += s.size;
    return n;
  }

  async close(): Promise<void> {
    for (const set of [...this.byCustomer.values()]) for (const s of [...set]) await s.return();
  }
}

/** Without Redis: delivered in this process only. */
export function createInProcessEvents(logger: Logger): ActivityEvents {
  const hub = new LocalHub(logger);
  return {
    publish: (e) => queueMicrotask(() => hub.deliver(e)),
    subscribe: (c) => hub.subscribe(c),
    subscriberCount: (c) => hub.count(c),
    close: () => hub.close(),
  };
}

/**
 * With Redis: one channel; every instance publishes there and delivers what it receives (its own
 * publications included) to its local subscribers. Messages are `{"customerId","kind","id"}`.
 */
export async function createRedisEvents(url: string, channel: string, logger: Logger): Promise<ActivityEvents> {
  const hub = new LocalHub(logger);
  const common = { connectTimeout: 2000, disconnectTimeout: 200, retryStrategy: (times: number) => Math.min(times * 200, 5000) };
  // Publishing never waits for a Redis that is down: fail fast, log, lose the (best-effort) event.
  const pub = connectRedis(url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000 });
  // The subscriber connection re-subscribes by itself after a reconnection (ioredis autoResubscribe).
  const sub = connectRedis(url, { ...common, maxRetriesPerRequest: null });
  let lastLog = 0;
  const onError = (err: unknown) => {
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      logger.warn({ err }, 'live updates (Redis) unavailable: events are lost meanwhile');
    }
  };
  pub.on('error', onError);
  sub.on('error', onError);
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    let e: unknown;
    try {
      e = JSON.parse(raw);
    } catch {
      e = null;
    }
    if (isActivityEvent(e)) hub.deliver({ customerId: e.customerId, kind: e.kind, id: e.id });
    else logger.warn({ channel }, 'live updates: ignored a malformed message');
  });
  // The server starts either way; until Redis answers, events are lost.
  const subscribed = sub.subscribe(channel).then(() => true, (err) => (onError(err), false));
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref());
  if (!(await Promise.race([subscribed, timeout]))) logger.warn('live updates (Redis) not reachable at start: events are lost until it is');
  return {
    publish(e) {
      const msg = JSON.stringify({ customerId: e.customerId, kind: e.kind, id: e.id });
      pub.publish(channel, msg).catch((err: unknown) => logger.warn({ err, kind: e.kind }, 'live update not published (Redis)'));
    },
    subscribe: (c) => hub.subscribe(c),
    subscriberCount: (c) => hub.count(c),
    async close() {
      await hub.close();
      sub.disconnect();
      pub.disconnect();
    },
  };
}

export async function createActivityEvents(opts: { redisUrl?: string; channel: string; logger: Logger }): Promise<ActivityEvents> {
  return opts.redisUrl ? createRedisEvents(opts.redisUrl, opts.channel, opts.logger) : createInProcessEvents(opts.logger);
}
