import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { workEagerly } from './eager-work';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../config';
import type { Logger } from '../logger';
import { pollLoop } from './poll-loop';
import { EVENT_POLICY } from '../auth/policy';
import { toGlobalId } from '../schema/global-id';
import { partnerScopeFor } from './webhooks.service';
import { LIVE_EVENT_TYPES } from '../live/outbox-relay';

const DELIVERY_QUEUE = 'webhook-delivery';
const DEAD_QUEUE = 'webhook-dead-letter';

/** What `subject_id` names, per event type: a global id the receiver can look up through the API. */
const SUBJECT_TYPE: Record<string, string> = {
  'order.recorded': 'Order', 'interaction.recorded': 'Interaction', 'offer.responded': 'Offer',
  'feedback.recorded': 'Feedback', 'feedback.status_changed': 'Feedback', 'consent.changed': 'ConsentRecord',
  'customer.merged': 'CustomerMerge', 'customer.unmerged': 'CustomerMerge', 'segment.entered': 'Segment', 'segment.exited': 'Segment',
  'trigger.fired': 'Trigger',
};
/** Ids inside `data` (uuid) that are also objects of the API. */
const DATA_IDS: Record<string, string> = { survivorId: 'Customer', loserId: 'Customer', interactionId: 'Interaction', firingId: 'TriggerFiring' };

export interface OutboxRow {
  id: string;
  type: string;
  customer_id: string | null;
  subject_id: string | null;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/** The Standard Webhooks payload of an outbox event: ids (as API global ids) and kinds, no personal data. */
export function webhookPayload(e: OutboxRow): { type: string; timestamp: string; data: Record<string, unknown> } {
  const data: Record<string, unknown> = { eventId: e.id };
  if (e.customer_id) data.customerId = toGlobalId('Customer', e.customer_id);
  if (e.subject_id && SUBJECT_TYPE[e.type]) data[`${SUBJECT_TYPE[e.type].charAt(0).toLowerCase()}${SUBJECT_TYPE[e.type].slice(1)}Id`] = toGlobalId(SUBJECT_TYPE[e.type], e.subject_id);
  for (const [k, v] of Object.entries(e.data ?? {})) data[k] = DATA_IDS[k] && typeof v === 'string' ? toGlobalId(DATA_IDS[k], v) : v;
  return { type: e.type, timestamp: new Date(e.occurred_at).toISOString(), data };
}

/** The advisory lock (hashtextextended of this) one dispatcher holds while it fans outbox events out. */
const FANOUT_LOCK = 'rapport.webhook-fanout';

// Loopback, private, link-local, CGNAT, unique-local, unspecified: where a webhook must not point.
const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::ffff:0:0', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

async function checkPublicAddress(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  for (const a of addresses) {
    if (PRIVATE.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4')) throw new Error(`refused: ${url.hostname} resolves to a private address`);
  }
}

export interface Outbound {
  /** One dispatcher round now (tests; the loop runs it every pollMs). Answers deliveries queued. */
  dispatchOnce(): Promise<number>;
  /** Queues again the pending deliveries whose queue job was lost (tests; the loop runs it with pruning). */
  requeueLost(): Promise<number>;
  /** graceful: let attempts in progress finish; otherwise abandon them as a crash would (they expire and are retried). */
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

/**
 * The outbound half (README "Webhooks"): a dispatcher that fans outbox events out to webhook
 * deliveries and puts them on a pg-boss queue in one transaction, and pg-boss workers that attempt
 * them. Runs inside the server (WEBHOOK_WORKER=inline) or in its own process (npm run webhooks:worker);
 * any number of instances may run it: rows are claimed with SKIP LOCKED and pg-boss hands each job to
 * one worker at a time.
 */
export async function startOutbound(opts: { databaseUrl: string; config: WebhookConfig; logger: Logger }): Promise<Outbound> {
  const { config, logger } = opts;
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, application_name: 'rapport-webhooks' });
  pool.on('error', (err) => logger.warn({ err }, 'webhook pool connection error'));
  const boss = new PgBoss({
    connectionString: opts.databaseUrl, schema: 'pgboss', max: 4, application_name: 'rapport-webhooks',
    maintenanceIntervalSeconds: config.maintenanceSeconds, monitorStateIntervalSeconds: Math.max(config.maintenanceSeconds, 10),
  });
  boss.on('error', (err) => logger.warn({ err }, 'webhook queue error'));
  await boss.start();
  // Retry policy lives on the queue: exponential backoff with jitter (pg-boss: retryDelay × 2^n × (1 to 2)),
  // an attempt still running after expireIn (its instance crashed) counts as failed and is retried,
  // and a job out of retries is moved to the dead-letter queue.
  await boss.createQueue(DEAD_QUEUE, { name: DEAD_QUEUE });
  const queue = { name: DELIVERY_QUEUE, retryLimit: config.retryLimit, retryDelay: config.retryDelaySeconds, retryBackoff: config.retryBackoff, expireInSeconds: config.expireSeconds, deadLetter: DEAD_QUEUE };
  if (await boss.getQueue(DELIVERY_QUEUE)) await boss.updateQueue(DELIVERY_QUEUE, queue);
  else await boss.createQueue(DELIVERY_QUEUE, queue);

  const partnerScopes = JSON.stringify(Object.fromEntries(Object.keys(EVENT_POLICY).map((t) => [t, partnerScopeFor(t)])));
  const inflight = new Set<AbortController>();
  let stopped = false;

  /** One round: answers the outbox events it fanned out and the deliveries it queued. */
  async function dispatchRound(): Promise<{ events: number; queued: number }> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      // 1. Fan out: each pending outbox event to every endpoint subscribed to its type. A partner's
      // endpoint only when its key is live, holds the event's scope, and the customer's consent in
      // force grants third-party sharing (checked again at each attempt).
      // One instance fans out at a time, under a transaction-level advisory lock (the others skip this
      // step for the round): the events then need no row locks (FOR UPDATE SKIP LOCKED wrote a lock
      // record per event to the WAL before the update wrote another). Only this step sets
      // dispatched_at, and the lock's next holder reads the previous one's commit.
      const [{ mine }] = (await client.query<{ mine: boolean }>('select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as mine', [FANOUT_LOCK])).rows;
      const fanned = !mine ? { rowCount: 0 } : await client.query(
        `with ev as (select id, type, customer_id from outbox_events where dispatched_at is null order by id limit 500),
              ins as (insert into webhook_deliveries (endpoint_id, event_id, event_type)
                      select w.id, ev.id, ev.type from ev join webhook_endpoints w on ev.type = any(w.events)
                      left join api_keys k on k.id = w.api_key_id
                      where w.api_key_id is null
                         or (k.revoked_at is null and (k.expires_at is null or k.expires_at > now()) and ($1::jsonb ->> ev.type) = any(k.scopes)
                             and ev.customer_id is not null and rapport_consent_status(ev.customer_id, 'third_party_sharing', 'any') = 'granted')
                      order by ev.id, w.id
                      on conflict (endpoint_id, event_id) do nothing)
         update outbox_events o set dispatched_at = now() from ev where o.id = ev.id`,
        [partnerScopes],
      );
      // 2. Queue what is pending and unqueued (new, replayed, or released by re-enabling its endpoint),
      // each with a job id of our own, kept on the delivery (see requeueLost).
      const { rows } = await client.query<{ id: string }>(
        `update webhook_deliveries d set queued_at = now()
          where d.id in (select d2.id from webhook_deliveries d2 join webhook_endpoints w on w.id = d2.endpoint_id
                          where d2.status = 'pending' and d2.queued_at is null and w.status = 'active'
                          order by d2.event_id limit 500 for update of d2 skip locked)
          returning d.id`,
      );
      if (rows.length) {
        const jobs = rows.map((r) => ({ id: randomUUID(), name: DELIVERY_QUEUE, data: { deliveryId: r.id } }));
        await client.query(
          `update webhook_deliveries d set job_id = j.job_id from unnest($1::uuid[], $2::uuid[]) as j(id, job_id) where d.id = j.id`,
          [jobs.map((j) => j.data.deliveryId), jobs.map((j) => j.id)],
        );
        await boss.insert(jobs, { db: { executeSql: (text, values) => client.query(text, values) } });
      }
      await client.query('commit');
      return { events: fanned.rowCount ?? 0, queued: rows.length };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function attempt(deliveryId: string): Promise<void> {
    const { rows: [d] } = await pool.query(
      `select d.status, d.event_id, w.id as endpoint_id, w.url, w.secret, w.status as endpoint_status, w.api_key_id,
              k.scopes, (k.id is not null and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())) as key_live,
              e.id, e.type, e.customer_id, e.subject_id, e.data, e.occurred_at,
              (e.customer_id is not null and rapport_consent_status(e.customer_id, 'third_party_sharing', 'any') = 'granted') as shared
         from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id join outbox_events e on e.id = d.event_id
         left join api_keys k on k.id = w.api_key_id where d.id = $1`,
      [deliveryId],
    );
    if (!d || d.status !== 'pending') return; // deleted, or already done by an earlier (duplicate) job
    if (d.endpoint_status !== 'active') {
      // Held: re-enabling the endpoint queues it again.
      await pool.query(`update webhook_deliveries set queued_at = null, last_error = 'endpoint disabled' where id = $1 and status = 'pending'`, [deliveryId]);
      return;
    }
    if (d.api_key_id) {
      const scope = partnerScopeFor(d.type);
      const why = !d.key_live ? 'api key revoked or expired' : !scope || !(d.scopes as string[]).includes(scope) ? `api key lacks ${scope ?? 'access to this event type'}` : !d.shared ? 'no consent to third-party sharing' : null;
      if (why) {
        await pool.query(`update webhook_deliveries set status = 'skipped', last_error = $2 where id = $1`, [deliveryId, why]);
        return;
      }
    }
    const msgId = `msg_${d.event_id}`;
    const body = JSON.stringify(webhookPayload(d));
    const now = new Date();
    const headers = {
      'content-type': 'application/json', 'user-agent': 'Rapport-Webhooks/1',
      'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(d.secret).sign(msgId, now, body),
    };
    const controller = new AbortController();
    inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${config.attemptTimeoutMs} ms`)), config.attemptTimeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const url = new URL(d.url);
      if (config.blockPrivateNetworks) await checkPublicAddress(url);
      // No redirects: a 3xx is an answer (a failure), never followed somewhere the endpoint did not name.
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      error = controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? 'aborted') : (err as Error).message;
    } finally {
      clearTimeout(timer);
      inflight.delete(controller);
    }
    if (stopped && error) throw new Error(`abandoned: ${error}`); // shutting down: leave the row as it was; the job is retried
    await pool.query(
      `with d as (update webhook_deliveries set attempts = attempts + 1, last_attempt_at = $2, response_status = $3, last_error = $4,
                    status = case when $4::text is null then 'succeeded' else status end, delivered_at = case when $4::text is null then now() end
                  where id = $1 returning endpoint_id)
       update webhook_endpoints w set consecutive_failures = 0 from d where $4::text is null and w.id = d.endpoint_id and w.consecutive_failures <> 0`,
      [deliveryId, now, status, error?.slice(0, 500) ?? null],
    );
    if (error) throw new Error(error); // pg-boss retries with backoff, then dead-letters
  }

  /** Out of retries: dead letter; the endpoint is disabled after `disableAfterDeadLetters` in a row. */
  async function deadLetter(deliveryId: string): Promise<void> {
    await pool.query(
      `with d as (update webhook_deliveries set status = 'dead' where id = $1 and status = 'pending' returning endpoint_id)
       update webhook_endpoints w set consecutive_failures = w.consecutive_failures + 1,
              status = case when w.consecutive_failures + 1 >= $2 then 'disabled' else w.status end,
              disabled_reason = case when w.consecutive_failures + 1 >= $2 and w.status = 'active' then 'persistent delivery failure' else w.disabled_reason end,
              updated_at = now()
         from d where w.id = d.endpoint_id`,
      [deliveryId, config.disableAfterDeadLetters],
    );
  }

  /**
   * A delivery is queued in the transaction that marks it queued, so a crash never leaves one queued
   * without its job. But pg-boss itself drops a job nobody worked before its retention ran out (14 days
   * in `created` or `retry`: every worker down that long), and a dead-letter job likewise: the delivery
   * would stay `pending` forever, never sent. Any pending delivery queued for longer than
   * `requeueAfterSeconds` with no live job in either queue is queued again (a job that is merely
   * waiting for its next retry is live, and left alone).
   */
  async function requeueLost(): Promise<number> {
    const { rowCount } = await pool.query(
      `update webhook_deliveries d set queued_at = null, job_id = null
        where d.id in (select d2.id from webhook_deliveries d2
                        where d2.status = 'pending' and d2.queued_at < now() - $1 * interval '1 second'
                          and not exists (select 1 from pgboss.job j where j.name = $2 and j.state < 'completed'
                                           and (j.id = d2.job_id or (d2.job_id is null and j.data ->> 'deliveryId' = d2.id::text)))
                          and not exists (select 1 from pgboss.job j where j.name = $3 and j.state < 'completed' and j.data ->> 'deliveryId' = d2.id::text)
                        order by d2.id limit 500 for update of d2 skip locked)`,
      [config.requeueAfterSeconds, DELIVERY_QUEUE, DEAD_QUEUE],
    );
    if (rowCount) logger.warn({ deliveries: rowCount }, 'webhook deliveries whose queue job was lost: queued again');
    return rowCount ?? 0;
  }

  // Each worker asks for the next job at once (workEagerly); the dispatcher wakes this instance's
  // delivery worker when it queued some.
  const pollingIntervalSeconds = Math.max(0.5, config.pollMs / 1000);
  const workers = {
    delivery: await workEagerly<{ deliveryId: string }>(boss, DELIVERY_QUEUE, { pollingIntervalSeconds, batchSize: 1 }, async ([job]) => attempt(job.data.deliveryId)),
    dead: await workEagerly<{ deliveryId: string }>(boss, DEAD_QUEUE, { pollingIntervalSeconds }, async (jobs) => {
      for (const job of jobs) await deadLetter(job.data.deliveryId);
    }),
  };

  let lastHousekeeping = 0;
  /** Outbox pruning and lost-job requeueing, at most once per prune interval, between dispatch rounds. */
  async function housekeeping(): Promise<void> {
    if (Date.now() - lastHousekeeping < config.outboxPruneIntervalSeconds * 1000) return;
    lastHousekeeping = Date.now();
    await requeueLost();
    const pruned = await pruneOutbox(pool, { retentionHours: config.outboxRetentionHours, batch: config.outboxPruneBatch });
    if (pruned) logger.info({ events: pruned }, 'outbox pruned');
  }
  /** A dispatcher round; wakes this instance's delivery worker when it queued deliveries. */
  async function dispatchAndWake(): Promise<{ events: number; queued: number }> {
    const round = await dispatchRound();
    if (round.queued && !stopped) boss.notifyWorker(workers.delivery);
    return round;
  }
  async function dispatchOnce(): Promise<number> {
    return (await dispatchAndWake()).queued;
  }
  // A full batch of 500 (events fanned out, or deliveries queued) means more is waiting: go again at
  // once; between rounds, housekeeping. Counting events matters where few events have a subscriber:
  // counting only deliveries, the dispatcher took 500 events per poll (500 events/s) and fell ever
  // further behind a faster ingest.
  const loop = pollLoop(async () => {
    const { events, queued } = await dispatchAndWake();
    const more = events === 500 || queued === 500;
    if (!more) await housekeeping().catch((err) => logger.warn({ err }, 'outbox housekeeping failed'));
    return more;
  }, { pollMs: config.pollMs, logger, what: 'webhook dispatcher' });

  return {
    dispatchOnce,
    requeueLost,
    async stop({ graceful = true } = {}) {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      if (!graceful) for (const c of inflight) c.abort(new Error('instance stopped'));
      await boss.stop({ graceful, wait: true, timeout: graceful ? config.attemptTimeoutMs + 1000 : 1, close: true });
      await pool.end();
    },
  };
}

/**
 * Deletes outbox events every consumer is done with, once older than the retention: dispatched (fanned
 * out to webhook deliveries), relayed to live subscribers where that applies, and with no delivery
 * still to send. A delivery `pending` (queued, retrying, or held by a disabled endpoint) or `dead`
 * (waiting for an admin's replay) keeps its event; deleting the endpoint releases them. The delivery
 * log rows of a pruned event (succeeded or skipped) go with it.
 *
 * Set-based, in batches of `batch` events, each batch its own short transaction: events are claimed
 * with SKIP LOCKED (so several instances prune side by side, and nothing a dispatcher holds is
 * touched), the finished deliveries are deleted with their status re-checked at the row (a replay that
 * committed meanwhile keeps its delivery), and an event goes only if none of its deliveries is left.
 */
export async function pruneOutbox(pool: pg.Pool, opts: { retentionHours: number; batch: number }): Promise<number> {
  let total = 0;
  for (;;) {
    const client = await pool.connect();
    let claimed = 0;
    try {
      await client.query('begin');
      const { rows } = await client.query<{ id: string }>(
        `select e.id from outbox_events e
          where e.occurred_at < now() - $1 * interval '1 hour' and e.dispatched_at is not null
            and (e.live_relayed_at is not null or e.type <> all($2::text[]))
            and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status in ('pending', 'dead'))
          order by e.id limit $3 for update of e skip locked`,
        [opts.retentionHours, LIVE_EVENT_TYPES, opts.batch],
      );
      claimed = rows.length;
      if (claimed) {
        const ids = rows.map((r) => r.id);
        await client.query(`delete from webhook_deliveries where event_id = any($1::bigint[]) and status in ('succeeded', 'skipped')`, [ids]);
        const { rowCount } = await client.query(
          `delete from outbox_events e where e.id = any($1::bigint[]) and not exists (select 1 from webhook_deliveries d where d.event_id = e.id)`,
          [ids],
        );
        total += rowCount ?? 0;
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (claimed < opts.batch) return total;
  }
}
