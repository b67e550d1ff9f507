import pg from 'pg';
import PgBoss from 'pg-boss';
import { workEagerly } from '../outbound/eager-work';
import type { TriggerConfig } from '../config';
import type { Logger } from '../logger';
import { pollLoop } from '../outbound/poll-loop';
import { profilingObjectionSql } from '../auth/policy';
import { TriggerAction, TriggerCondition, TriggerFiringStatus, TriggerSkipReason } from '../entities/trigger.entity';
import { CHANNEL_CONSENT, OfferChannel } from '../entities/offer-enums';
import { CART_TYPES, CONTACT_FREQUENCY_SQL, CONTACT_INTERACTION_TYPES, CONTACTING_ACTIONS, PURPOSE_CHANNEL_SQL } from './rules';

export const FIRING_QUEUE = 'trigger-firing';
const BATCH = 500;

export interface TriggerEngine {
  /** One matcher round now (tests; the loop runs it every pollMs). Answers the outbox events it matched. */
  matchOnce(): Promise<number>;
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * Matches a batch of unmatched outbox events against every enabled trigger, set-based, and puts a
 * pg-boss job for each new firing on the queue to run at its due time — in ONE transaction with the
 * firings and the events' mark, so a crash leaves either all of it or none (the events stay
 * unmatched and the next round takes them). The (trigger, event) unique key makes a second match of
 * the same event a no-op.
 */
const MATCH_SQL = `
  with ev as (
    select id, type, customer_id, subject_id, data, occurred_at from outbox_events
     where triggers_matched_at is null order by id limit ${BATCH} for update skip locked),
  m as (
    -- An event of a profile merged away acts on its survivor (merges repoint merged_into_id, so one
    -- hop reaches it), as the firing would have if it had been matched before the merge moved it.
    select t.id as trigger_id, coalesce(case when c.status = 'merged' then c.merged_into_id end, ev.customer_id) as customer_id,
           ev.id as event_id, ev.type as event_type,
           case when t.condition = '${TriggerCondition.CART_ABANDONED}' then i.occurred_at + make_interval(hours => t.cart_hours) else ev.occurred_at end
             + make_interval(secs => t.delay_seconds) as due_at
      from ev
      join triggers t on t.enabled and ev.occurred_at >= t.created_at
      left join customers c on c.id = ev.customer_id
      left join interactions i on t.condition = '${TriggerCondition.CART_ABANDONED}' and ev.type = 'interaction.recorded' and i.id = ev.subject_id
     where ev.customer_id is not null
       and ((t.condition = '${TriggerCondition.SEGMENT_ENTERED}' and ev.type = 'segment.entered' and ev.subject_id = t.segment_id)
         or (t.condition = '${TriggerCondition.LIFECYCLE_CHANGED}' and ev.type = 'lifecycle.changed' and (ev.data ->> 'to') = any(t.lifecycle_stages))
         or (t.condition = '${TriggerCondition.COMPLAINT_RECORDED}' and ev.type = 'feedback.recorded' and (ev.data ->> 'kind') = 'complaint')
         or (t.condition = '${TriggerCondition.CART_ABANDONED}' and ev.type = 'interaction.recorded' and (ev.data ->> 'type') in (${sqlList(CART_TYPES)}) and i.id is not null))),
  ins as (
    insert into trigger_firings (trigger_id, customer_id, event_id, event_type, due_at)
    select trigger_id, customer_id, event_id, event_type, due_at from m order by event_id, trigger_id
    on conflict (trigger_id, event_id) do nothing
    returning id, due_at),
  mark as (update outbox_events o set triggers_matched_at = now() from ev where o.id = ev.id)
  select (select count(*) from ev)::int as claimed,
         coalesce((select json_agg(json_build_object('id', id, 'dueAt', due_at)) from ins), '[]'::json) as firings`;

/**
 * Firings still scheduled well past their due time: their jobs were lost or ran out of retries (the
 * database was down for hours). Put on the queue again, at most once per `$1` seconds each; a job
 * that finds the firing decided does nothing, so a duplicate is harmless.
 */
const SWEEP_SQL = `
  with f as (
    select id from trigger_firings
     where status = '${TriggerFiringStatus.SCHEDULED}' and due_at < now() - make_interval(secs => $1::int)
       and created_at < now() - make_interval(secs => $1::int) -- not the ones this round just queued
       and (requeued_at is null or requeued_at < now() - make_interval(secs => $1::int))
     order by due_at limit 100 for update skip locked)
  update trigger_firings t set requeued_at = now() from f where t.id = f.id returning t.id`;

/** The consent an offer needs on a channel, as SQL rows (channel, purpose, consent channel). */
const OFFER_CONSENT_VALUES = Object.entries(CHANNEL_CONSENT)
  .map(([ch, c]) => `('${ch as OfferChannel}', '${c.purpose}', '${c.channel}')`).join(', ');

/**
 * The decision for one scheduled firing, at its due time: the first reason it must not fire, or
 * null. Caps and the stated contact frequency count only firings that FIRED (and outbound contact
 * interactions), decided under a per-customer advisory lock so concurrent decisions cannot both pass.
 * $1 firing id, $2 global cap, $3 global window hours, $4 cart max lateness hours.
 */
const DECIDE_SQL = `
  select f.id, f.customer_id, f.event_id, f.event_type, t.id as trigger_id, t.name, t.action, t.task_note, t.offer_id, t.offer_days, t.webhook_endpoint_id,
    case
      when not t.enabled then '${TriggerSkipReason.TRIGGER_DISABLED}'
      when c.status <> 'active' then '${TriggerSkipReason.CUSTOMER_NOT_ACTIVE}'
      when t.condition = '${TriggerCondition.CART_ABANDONED}' and (i.id is null
             or i.occurred_at + make_interval(hours => t.cart_hours + $4::int) < e.occurred_at) then '${TriggerSkipReason.STALE}'
      when t.condition = '${TriggerCondition.CART_ABANDONED}' and exists (
             select 1 from orders o where o.customer_id = f.customer_id and o.placed_at >= i.occurred_at) then '${TriggerSkipReason.ORDER_PLACED}'
      when t.condition = '${TriggerCondition.CART_ABANDONED}' and exists (
             select 1 from interactions n where n.customer_id = f.customer_id and n.type in (${sqlList(CART_TYPES)})
                and (n.occurred_at, n.id) > (i.occurred_at, i.id) and n.occurred_at <= now()) then '${TriggerSkipReason.CART_UPDATED}'
      when t.condition = '${TriggerCondition.LIFECYCLE_CHANGED}' and ${profilingObjectionSql('f.customer_id')} then '${TriggerSkipReason.PROFILING_OBJECTION}'
      when (t.action = '${TriggerAction.WEBHOOK}' and w.id is null)
        or (t.action = '${TriggerAction.OFFER}' and (ofr.id is null or ofr.status <> 'active' or (ofr.ends_at is not null and ofr.ends_at <= now()))) then '${TriggerSkipReason.TARGET_UNAVAILABLE}'
      when (t.action = '${TriggerAction.WEBHOOK}' and w.api_key_id is not null and rapport_consent_status(f.customer_id, 'third_party_sharing', 'any') <> 'granted')
        or (t.action = '${TriggerAction.OFFER}' and not exists (
              select 1 from unnest(ofr.channels) ch join (values ${OFFER_CONSENT_VALUES}) cc(channel, purpose, consent_channel) on cc.channel = ch
               where rapport_consent_status(f.customer_id, cc.purpose, cc.consent_channel) = 'granted'
                 and (ofr.consent_purpose is null or rapport_consent_status(f.customer_id, ofr.consent_purpose, cc.consent_channel) = 'granted')))
        or (t.consent_purpose is not null and rapport_consent_status(f.customer_id, t.consent_purpose, ${PURPOSE_CHANNEL_SQL('t.consent_purpose')}) <> 'granted')
        then '${TriggerSkipReason.NO_CONSENT}'
      when t.action in (${sqlList(CONTACTING_ACTIONS)}) and freq.every is not null and (
             exists (select 1 from trigger_firings g join triggers gt on gt.id = g.trigger_id
                      where g.customer_id = f.customer_id and g.status = 'fired' and g.decided_at > now() - freq.every and gt.action in (${sqlList(CONTACTING_ACTIONS)}))
          or exists (select 1 from interactions n where n.customer_id = f.customer_id and n.type in (${sqlList(CONTACT_INTERACTION_TYPES)})
                      and n.occurred_at > now() - freq.every and n.occurred_at <= now())) then '${TriggerSkipReason.CONTACT_FREQUENCY}'
      when t.cap_count is not null and (
             select count(*) from trigger_firings g where g.customer_id = f.customer_id and g.trigger_id = t.id and g.status = 'fired'
                and g.decided_at > now() - make_interval(hours => coalesce(t.cap_window_hours, 24))) >= t.cap_count then '${TriggerSkipReason.TRIGGER_CAP}'
      when t.action in (${sqlList(CONTACTING_ACTIONS)}) and $2::int > 0 and (
             select count(*) from trigger_firings g join triggers gt on gt.id = g.trigger_id
              where g.customer_id = f.customer_id and g.status = 'fired' and g.decided_at > now() - make_interval(hours => $3::int)
                and gt.action in (${sqlList(CONTACTING_ACTIONS)})) >= $2::int then '${TriggerSkipReason.GLOBAL_CAP}'
    end as reason
  from trigger_firings f
  join triggers t on t.id = f.trigger_id
  join outbox_events e on e.id = f.event_id
  left join customers c on c.id = f.customer_id
  left join interactions i on t.condition = '${TriggerCondition.CART_ABANDONED}' and i.id = e.subject_id
  left join webhook_endpoints w on t.action = '${TriggerAction.WEBHOOK}' and w.id = t.webhook_endpoint_id
  left join offers ofr on t.action = '${TriggerAction.OFFER}' and ofr.id = t.offer_id
  left join lateral (
    select ${CONTACT_FREQUENCY_SQL('p.value')} as every from customer_preferences p
     where p.customer_id = f.customer_id and p.kind = 'contact_frequency' limit 1) freq on true
  where f.id = $1 and f.status = '${TriggerFiringStatus.SCHEDULED}'
  for update of f`;

interface Decision {
  id: string; customer_id: string; event_id: string; event_type: string; trigger_id: string; name: string; action: TriggerAction;
  task_note: string | null; offer_id: string | null; offer_days: number | null; webhook_endpoint_id: string | null; reason: TriggerSkipReason | null;
}

/** The action of a firing that passed, in the deciding transaction: answers what it made. */
async function act(client: pg.PoolClient, d: Decision): Promise<string> {
  switch (d.action) {
    case TriggerAction.WEBHOOK: {
      // A trigger.fired event of its own (ids only), sent to this one endpoint: marked dispatched so
      // the dispatcher does not fan it out, and delivered (signed, retried, consent re-checked at each
      // attempt) by the webhook delivery worker, which queues every pending unqueued delivery.
      const { rows: [row] } = await client.query<{ id: string }>(
        `with e as (insert into outbox_events (type, customer_id, subject_id, data, dispatched_at, triggers_matched_at)
                    values ('trigger.fired', $1, $2, jsonb_build_object('firingId', $3::text, 'sourceEventId', $4::text, 'sourceEventType', $5::text), now(), now())
                    returning id)
         insert into webhook_deliveries (endpoint_id, event_id, event_type) select $6, e.id, 'trigger.fired' from e returning id`,
        [d.customer_id, d.trigger_id, d.id, d.event_id, d.event_type, d.webhook_endpoint_id],
      );
      return row.id;
    }
    case TriggerAction.OFFER: {
      const { rows: [row] } = await client.query<{ id: string }>(
        `insert into offer_grants (customer_id, offer_id, firing_id, expires_at) values ($1, $2, $3, now() + make_interval(days => $4::int)) returning id`,
        [d.customer_id, d.offer_id, d.id, d.offer_days],
      );
      return row.id;
    }
    case TriggerAction.SUPPORT_TASK: {
      const { rows: [row] } = await client.query<{ id: string }>(
        `insert into support_tasks (customer_id, title, note, event_type, trigger_id, firing_id) values ($1, $2, $3, $4, $5, $6) returning id`,
        [d.customer_id, d.name, d.task_note, d.event_type, d.trigger_id, d.id],
      );
      return row.id;
    }
  }
}

/**
 * The trigger engine (README "Triggers"): a matcher loop over the outbox and pg-boss workers that
 * decide each firing at its due time and take its action, in one transaction. Runs inside the server
 * (TRIGGER_WORKER=inline) or in the worker process; any number of instances may run it.
 */
export async function startTriggers(opts: { databaseUrl: string; config: TriggerConfig; logger: Logger }): Promise<TriggerEngine> {
  const { config, logger } = opts;
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 3, application_name: 'rapport-triggers' });
  pool.on('error', (err) => logger.warn({ err }, 'trigger pool connection error'));
  const boss = new PgBoss({ connectionString: opts.databaseUrl, schema: 'pgboss', max: 3, application_name: 'rapport-triggers', schedule: false });
  boss.on('error', (err) => logger.warn({ err }, 'trigger queue error'));
  await boss.start();
  // A decision that fails (database error) or whose instance crashed (expired) is retried; the
  // firing's status makes a repeated job a no-op once one has decided it.
  const queue = { name: FIRING_QUEUE, retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: config.expireSeconds };
  if (await boss.getQueue(FIRING_QUEUE)) await boss.updateQueue(FIRING_QUEUE, queue);
  else await boss.createQueue(FIRING_QUEUE, queue);
  let stopped = false;
  let worker = '';
  // Default 4 h: past every retry a job of its own could still be waiting for (10 retries from 5 s, doubling, with jitter: under 3 h).
  const sweepAfterSeconds = config.sweepAfterSeconds;

  async function matchOnce(): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows: [{ claimed, firings }] } = await client.query<{ claimed: number; firings: Array<{ id: string; dueAt: string }> }>(MATCH_SQL);
      const { rows: overdue } = await client.query<{ id: string }>(SWEEP_SQL, [sweepAfterSeconds]);
      const jobs = [
        ...firings.map((r) => ({ name: FIRING_QUEUE, data: { firingId: r.id }, startAfter: new Date(r.dueAt) })),
        ...overdue.map((r) => ({ name: FIRING_QUEUE, data: { firingId: r.id } })),
      ];
      if (jobs.length) await boss.insert(jobs, { db: { executeSql: (text, values) => client.query(text, values) } });
      await client.query('commit');
      // Firings due already (no delay, or overdue): this instance's worker takes them at once.
      const now = Date.now();
      if (!stopped && (overdue.length || firings.some((f) => new Date(f.dueAt).getTime() <= now))) boss.notifyWorker(worker);
      return claimed;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function decide(firingId: string): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows: [f] } = await client.query<{ customer_id: string }>(`select customer_id from trigger_firings where id = $1 and status = 'scheduled'`, [firingId]);
      if (!f) {
        await client.query('commit');
        return; // deleted with its trigger, or already decided by an earlier (duplicate) job
      }
      // One decision per customer at a time: the caps count what the other decisions fired.
      await client.query(`select pg_advisory_xact_lock(hashtextextended('rapport.trigger-firing:' || $1, 0))`, [f.customer_id]);
      const { rows: [d] } = await client.query<Decision>(DECIDE_SQL, [firingId, config.capPerCustomer, config.capWindowHours, config.cartMaxLateHours]);
      if (d) {
        const ref = d.reason ? null : await act(client, d);
        await client.query(`update trigger_firings set status = $2, reason = $3, decided_at = now(), action_ref = $4 where id = $1`,
          [firingId, d.reason ? TriggerFiringStatus.SKIPPED : TriggerFiringStatus.FIRED, d.reason, ref]);
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  // The worker asks for the next firing at once (workEagerly); the matcher wakes it when it queued due ones.
  const pollingIntervalSeconds = Math.max(0.5, config.pollMs / 1000);
  worker = await workEagerly<{ firingId: string }>(boss, FIRING_QUEUE, { pollingIntervalSeconds, batchSize: 1 }, async ([job]) => decide(job.data.firingId));

  const loop = pollLoop(async () => (await matchOnce()) === BATCH, { pollMs: config.pollMs, logger, what: 'trigger matcher' });

  return {
    matchOnce,
    async stop({ graceful = true } = {}) {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      await boss.stop({ graceful, wait: true, timeout: graceful ? 10_000 : 1, close: true });
      await pool.end();
    },
  };
}
