import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: outbox events of a type no webhook endpoint subscribes to are
 * written already marked dispatched (`dispatched_at`), instead of being fanned out to nobody and marked
 * by the dispatcher a moment later. Each such event saves the dispatcher's update - a new row version
 * that cannot be HOT (`outbox_events_pending_idx` is partial on that column) with its primary-key entry -
 * and its own entry in `outbox_events_pending_idx`. Applied to the per-event writers of the ingestion
 * path (interactions, orders, new customers), as Migration20261206050500 did for the trigger matcher.
 *
 * Unlike the matcher's rule, this one depends on which endpoints exist, so it is serialised with their
 * writes: a writer reads the subscribed types (`rapport_outbox_subscribed_types`) under a shared
 * transaction-level advisory lock, and a statement that creates an endpoint or changes its `events`
 * takes the same lock exclusively before it writes (trigger on `webhook_endpoints`). So every outbox
 * event committed after a subscription commits was written knowing it: it is left for the dispatcher,
 * as before. An event committed before the subscription was never promised to it (before this change
 * it reached the new endpoint only if the dispatcher had not yet passed it). The lock is one per
 * statement, not per row; an endpoint write waits for the ingestion transactions in flight. A writer
 * under REPEATABLE READ or SERIALIZABLE (none of the write paths today) marks nothing: its snapshot
 * predates the lock.
 */
const LOCK = `hashtextextended('rapport.outbox_subscriptions', 0)`;

export class Migration20261206164500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "rapport_outbox_subscribed_types"() returns text[] language plpgsql volatile as $fn$
    declare subscribed text[];
    begin
      -- Held until the writing transaction ends; the select after it takes a snapshot of its own, so it
      -- sees every subscription committed before the lock was granted.
      -- Under REPEATABLE READ or SERIALIZABLE the snapshot predates the lock: mark nothing (null).
      if current_setting('transaction_isolation') <> 'read committed' then return null; end if;
      perform pg_advisory_xact_lock_shared(${LOCK});
      select coalesce(array_agg(distinct t), '{}') into subscribed from webhook_endpoints w cross join unnest(w.events) t;
      return subscribed;
    end $fn$;`);
    this.addSql(`create function "rapport_webhook_subscriptions_lock"() returns trigger language plpgsql as $fn$
    begin
      perform pg_advisory_xact_lock(${LOCK});
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_webhook_subscriptions_insert" before insert on "webhook_endpoints" for each statement execute function "rapport_webhook_subscriptions_lock"();`);
    this.addSql(`create trigger "rapport_webhook_subscriptions_update" before update of "events" on "webhook_endpoints" for each statement execute function "rapport_webhook_subscriptions_lock"();`);

    this.addSql(`create or replace function "rapport_outbox_customers_insert"() returns trigger language plpgsql as $fn$
    declare subscribed text[] := rapport_outbox_subscribed_types();
    begin
      insert into outbox_events (type, customer_id, triggers_matched_at, dispatched_at)
      select 'customer.created', n.id, case when rapport_outbox_matchable('customer.created', '{}'::jsonb) then null else now() end,
             case when subscribed is null or 'customer.created' = any(subscribed) then null else now() end
        from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_orders_insert"() returns trigger language plpgsql as $fn$
    declare subscribed text[] := rapport_outbox_subscribed_types();
    begin
      insert into outbox_events (type, customer_id, subject_id, data, triggers_matched_at, dispatched_at)
      select e.type, e.customer_id, e.subject_id, e.data, case when rapport_outbox_matchable(e.type, e.data) then null else now() end,
             case when subscribed is null or e.type = any(subscribed) then null else now() end from (
        select 'order.recorded' as type, n.customer_id, n.id as subject_id, jsonb_build_object('channel', n.channel, 'status', n.status) as data from new_rows n
      ) e order by e.subject_id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_interactions_insert"() returns trigger language plpgsql as $fn$
    declare subscribed text[] := rapport_outbox_subscribed_types();
    begin
      insert into outbox_events (type, customer_id, subject_id, data, triggers_matched_at, dispatched_at)
      select e.type, e.customer_id, e.subject_id, e.data, case when rapport_outbox_matchable(e.type, e.data) then null else now() end,
             case when subscribed is null or e.type = any(subscribed) then null else now() end from (
        select n.id as sort_id, 0 as k, 'interaction.recorded' as type, n.customer_id, n.id as subject_id, jsonb_build_object('channel', n.channel, 'type', n.type) as data from new_rows n
        union all
        select n.id, 1, 'offer.responded', n.customer_id, case when n.properties ->> 'offerId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (n.properties ->> 'offerId')::uuid end,
               jsonb_build_object('response', upper(substr(n.type, 7)), 'interactionId', n.id, 'channel', n.channel)
          from new_rows n where n.type in ('offer_shown', 'offer_accepted', 'offer_rejected')
      ) e order by e.sort_id, e.k;
      return null;
    end $fn$;`);
  }

  override async down(): Promise<void> {
    // Migration20261206050500's writers.
    this.addSql(`create or replace function "rapport_outbox_customers_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, triggers_matched_at)
      select 'customer.created', n.id, case when rapport_outbox_matchable('customer.created', '{}'::jsonb) then null else now() end from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_orders_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data, triggers_matched_at)
      select e.type, e.customer_id, e.subject_id, e.data, case when rapport_outbox_matchable(e.type, e.data) then null else now() end from (
        select 'order.recorded' as type, n.customer_id, n.id as subject_id, jsonb_build_object('channel', n.channel, 'status', n.status) as data from new_rows n
      ) e order by e.subject_id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_interactions_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data, triggers_matched_at)
      select e.type, e.customer_id, e.subject_id, e.data, case when rapport_outbox_matchable(e.type, e.data) then null else now() end from (
        select n.id as sort_id, 0 as k, 'interaction.recorded' as type, n.customer_id, n.id as subject_id, jsonb_build_object('channel', n.channel, 'type', n.type) as data from new_rows n
        union all
        select n.id, 1, 'offer.responded', n.customer_id, case when n.properties ->> 'offerId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (n.properties ->> 'offerId')::uuid end,
               jsonb_build_object('response', upper(substr(n.type, 7)), 'interactionId', n.id, 'channel', n.channel)
          from new_rows n where n.type in ('offer_shown', 'offer_accepted', 'offer_rejected')
      ) e order by e.sort_id, e.k;
      return null;
    end $fn$;`);
    this.addSql(`drop trigger if exists "rapport_webhook_subscriptions_update" on "webhook_endpoints";`);
    this.addSql(`drop trigger if exists "rapport_webhook_subscriptions_insert" on "webhook_endpoints";`);
    this.addSql(`drop function if exists "rapport_webhook_subscriptions_lock"();`);
    this.addSql(`drop function if exists "rapport_outbox_subscribed_types"();`);
  }

}
