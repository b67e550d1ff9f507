import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: outbox events no trigger condition can ever match are written
 * already marked for the trigger matcher (`triggers_matched_at`), instead of being claimed and marked
 * by it a second later. Each such event saves the matcher's update: a new row version (it cannot be
 * HOT, `outbox_events_unmatched_idx` is partial on that column) with its primary-key entry, plus the
 * event's own entry in `outbox_events_unmatched_idx`.
 *
 * What the matcher can match (src/triggers/engine.ts MATCH_SQL) is decided by the event alone, never by
 * which triggers exist, so this is not racy: `segment.entered`, `lifecycle.changed`, `feedback.recorded`,
 * and `interaction.recorded` of a cart type (src/triggers/rules.ts CART_TYPES). That rule is
 * `rapport_outbox_matchable(type, data)`; tests/integration/outbox-matchable.test.ts holds it to the
 * engine's conditions and CART_TYPES. Applied to the per-event writers of the ingestion path (interactions,
 * orders, new customers); the other outbox triggers leave the mark to the matcher as before.
 */
export class Migration20261206050500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "rapport_outbox_matchable"(event_type text, data jsonb) returns boolean language sql immutable as $fn$
      select coalesce(event_type in ('segment.entered', 'lifecycle.changed', 'feedback.recorded')
                      or (event_type = 'interaction.recorded' and (data ->> 'type') in ('cart_add')), false)
    $fn$;`);
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
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_outbox_customers_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id) select 'customer.created', n.id from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_orders_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'order.recorded', n.customer_id, n.id, jsonb_build_object('channel', n.channel, 'status', n.status) from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create or replace function "rapport_outbox_interactions_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select e.type, e.customer_id, e.subject_id, e.data from (
        select n.id as sort_id, 0 as k, 'interaction.recorded' as type, n.customer_id, n.id as subject_id, jsonb_build_object('channel', n.channel, 'type', n.type) as data from new_rows n
        union all
        select n.id, 1, 'offer.responded', n.customer_id, case when n.properties ->> 'offerId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (n.properties ->> 'offerId')::uuid end,
               jsonb_build_object('response', upper(substr(n.type, 7)), 'interactionId', n.id, 'channel', n.channel)
          from new_rows n where n.type in ('offer_shown', 'offer_accepted', 'offer_rejected')
      ) e order by e.sort_id, e.k;
      return null;
    end $fn$;`);
    this.addSql(`drop function if exists "rapport_outbox_matchable"(text, jsonb);`);
  }

}
