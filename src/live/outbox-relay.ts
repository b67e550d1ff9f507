import pg from 'pg';
import type { Logger } from '../logger';
import type { ActivityEvents } from './activity-events';
import { pollLoop } from '../outbound/poll-loop';

/** The outbox event types the live relay consumes (besides the webhook dispatcher, which takes every type). */
export const LIVE_EVENT_TYPES = ['segment.entered', 'segment.exited', 'lifecycle.changed'] as const;

export interface OutboxRelay {
  /** One round now (tests; the loop runs it every pollMs). Answers the events claimed. */
  relayOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Older events are marked relayed without being sent: a subscriber gets what happens from the moment it subscribed. */
const MAX_AGE_SECONDS = 300;
const BATCH = 500;

/**
 * The live relay: the outbox's second consumer. Segment entries and exits and lifecycle changes are
 * written by analytics runs and real-time segment evaluation in SQL (triggers on segment_memberships
 * and customer_metrics), not by a resolver that could publish them; the relay reads them from the
 * outbox and publishes `{customerId, kind: 'OutboxEvent', id}` to customerActivity subscribers, like
 * the mutations publish theirs (README "Live updates").
 *
 * Rows are claimed by "not yet relayed" with SKIP LOCKED, never by "last id seen", so an event whose
 * transaction commits after a later one is not skipped, and several instances share the work, each
 * event being published by one of them (through Redis every instance delivers it). Delivery stays best
 * effort, as for every live update: an event is marked before it is published, so an instance that
 * dies in between loses it for live subscribers (the webhook and the membership history still have it).
 */
export function startOutboxRelay(opts: { databaseUrl: string; events: ActivityEvents; logger: Logger; pollMs: number }): OutboxRelay {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 1, application_name: 'rapport-live-relay' });
  pool.on('error', (err) => opts.logger.warn({ err }, 'live relay connection error'));
  let stopped = false;
  async function relayOnce(): Promise<number> {
    const { rows } = await pool.query<{ id: string; customer_id: string | null; fresh: boolean }>(
      `with ev as (select id from outbox_events where live_relayed_at is null and type = any($1::text[]) order by id limit $2 for update skip locked)
       update outbox_events o set live_relayed_at = now() from ev where o.id = ev.id
       returning o.id, o.customer_id, o.occurred_at > now() - $3 * interval '1 second' as fresh`,
      [LIVE_EVENT_TYPES, BATCH, MAX_AGE_SECONDS],
    );
    for (const r of rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)))) {
      if (r.customer_id && r.fresh) opts.events.publish({ customerId: r.customer_id, kind: 'OutboxEvent', id: String(r.id) });
    }
    return rows.length;
  }

  // Off (pollMs 0): rounds only when called (tests).
  const loop = opts.pollMs > 0 ? pollLoop(async () => (await relayOnce()) === BATCH, { pollMs: opts.pollMs, logger: opts.logger, what: 'live relay' }) : undefined;

  return {
    relayOnce,
    async stop() {
      if (stopped) return; // a server closed twice (tests do) stops once
      stopped = true;
      await loop?.stop();
      await pool.end();
    },
  };
}
