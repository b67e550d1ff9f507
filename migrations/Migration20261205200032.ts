import { Migration } from '@mikro-orm/migrations';

export class Migration20261205200032 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "customer_lifecycle_states" ("customer_id" uuid not null, "stage" text not null, "changed_at" timestamptz not null, constraint "customer_lifecycle_states_pkey" primary key ("customer_id"));`);

    this.addSql(`create table "outbox_events" ("id" bigserial primary key, "type" text not null, "customer_id" uuid null, "subject_id" uuid null, "data" jsonb not null default '{}', "occurred_at" timestamptz not null default now(), "dispatched_at" timestamptz null);`);
    this.addSql(`create index "outbox_events_customer_idx" on "outbox_events" ("customer_id", "id");`);
    this.addSql(`create index "outbox_events_pending_idx" on "outbox_events" ("id") where "dispatched_at" is null;`);

    this.addSql(`create table "webhook_endpoints" ("id" uuid not null default gen_random_uuid(), "url" text not null, "description" text null, "events" text[] not null, "secret" text not null, "api_key_id" uuid null, "created_by" text not null, "status" text not null default 'active', "disabled_reason" text null, "consecutive_failures" int not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "webhook_endpoints_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_endpoints_api_key_idx" on "webhook_endpoints" ("api_key_id");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null default gen_random_uuid(), "endpoint_id" uuid not null, "event_id" bigint not null, "event_type" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "last_attempt_at" timestamptz null, "response_status" int null, "last_error" text null, "created_at" timestamptz not null default now(), "delivered_at" timestamptz null, "queued_at" timestamptz null, constraint "webhook_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_unqueued_idx" on "webhook_deliveries" ("endpoint_id") where "status" = 'pending' and "queued_at" is null;`);
    this.addSql(`create index "webhook_deliveries_endpoint_status_idx" on "webhook_deliveries" ("endpoint_id", "status", "created_at");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_endpoint_event_key" unique ("endpoint_id", "event_id");`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoints" ("id") on update cascade on delete cascade;`);

    // The outbox: statement-level triggers write one event row per domain change in the writing
    // transaction, whichever path wrote it (README "Webhooks", "The outbox").
    this.addSql(`create function "rapport_outbox_customers_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id) select 'customer.created', n.id from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_customers_insert" after insert on "customers" referencing new table as new_rows for each statement execute function "rapport_outbox_customers_insert"();`);
    this.addSql(`create function "rapport_outbox_customers_update"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, data)
      select case when n.status = 'erased' then 'customer.erased' else 'customer.updated' end, n.id,
             case when n.status = 'erased' then '{}'::jsonb else jsonb_build_object('fields', to_jsonb(array_remove(array[case when n.first_name is distinct from o.first_name then 'firstName' end, case when n.last_name is distinct from o.last_name then 'lastName' end, case when n.email is distinct from o.email then 'email' end, case when n.phone is distinct from o.phone then 'phone' end, case when n.birth_date is distinct from o.birth_date then 'birthDate' end, case when n.locale is distinct from o.locale then 'locale' end, case when n.address is distinct from o.address then 'address' end, case when n.traits is distinct from o.traits then 'traits' end], null))) end
        from new_rows n join old_rows o on o.id = n.id
       where (n.status = 'erased' and o.status <> 'erased')
          or (n.status = 'active' and o.status = 'active' and cardinality(array_remove(array[case when n.first_name is distinct from o.first_name then 'firstName' end, case when n.last_name is distinct from o.last_name then 'lastName' end, case when n.email is distinct from o.email then 'email' end, case when n.phone is distinct from o.phone then 'phone' end, case when n.birth_date is distinct from o.birth_date then 'birthDate' end, case when n.locale is distinct from o.locale then 'locale' end, case when n.address is distinct from o.address then 'address' end, case when n.traits is distinct from o.traits then 'traits' end], null)) > 0)
       order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_customers_update" after update on "customers" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_outbox_customers_update"();`);
    this.addSql(`create function "rapport_outbox_orders_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'order.recorded', n.customer_id, n.id, jsonb_build_object('channel', n.channel, 'status', n.status) from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_orders_insert" after insert on "orders" referencing new table as new_rows for each statement execute function "rapport_outbox_orders_insert"();`);
    this.addSql(`create function "rapport_outbox_interactions_insert"() returns trigger language plpgsql as $fn$
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
    this.addSql(`create trigger "rapport_outbox_interactions_insert" after insert on "interactions" referencing new table as new_rows for each statement execute function "rapport_outbox_interactions_insert"();`);
    this.addSql(`create function "rapport_outbox_feedback_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'feedback.recorded', n.customer_id, n.id, jsonb_build_object('kind', n.kind, 'channel', n.channel, 'status', n.status) from new_rows n order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_feedback_insert" after insert on "feedback" referencing new table as new_rows for each statement execute function "rapport_outbox_feedback_insert"();`);
    this.addSql(`create function "rapport_outbox_feedback_update"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'feedback.status_changed', n.customer_id, n.id, jsonb_build_object('kind', n.kind, 'from', o.status, 'to', n.status)
        from new_rows n join old_rows o on o.id = n.id where n.status is distinct from o.status order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_feedback_update" after update on "feedback" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_outbox_feedback_update"();`);
    this.addSql(`create function "rapport_outbox_consent_records_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'consent.changed', n.customer_id, n.id, jsonb_build_object('purpose', n.purpose, 'channel', n.channel, 'status', n.status) from new_rows n order by n.seq;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_consent_records_insert" after insert on "consent_records" referencing new table as new_rows for each statement execute function "rapport_outbox_consent_records_insert"();`);
    this.addSql(`create function "rapport_outbox_customer_merges_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'customer.merged', n.survivor_id, n.id, jsonb_build_object('survivorId', n.survivor_id, 'loserId', n.loser_id, 'automatic', n.automatic) from new_rows n order by n.created_at, n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_customer_merges_insert" after insert on "customer_merges" referencing new table as new_rows for each statement execute function "rapport_outbox_customer_merges_insert"();`);
    this.addSql(`create function "rapport_outbox_customer_merges_update"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'customer.unmerged', n.survivor_id, n.id, jsonb_build_object('survivorId', n.survivor_id, 'loserId', n.loser_id)
        from new_rows n join old_rows o on o.id = n.id where n.undone_at is not null and o.undone_at is null order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_customer_merges_update" after update on "customer_merges" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_outbox_customer_merges_update"();`);
    this.addSql(`create function "rapport_outbox_segment_memberships_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id)
      select 'segment.entered', n.customer_id, n.segment_id from new_rows n where n.left_at is null order by n.entered_at, n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_segment_memberships_insert" after insert on "segment_memberships" referencing new table as new_rows for each statement execute function "rapport_outbox_segment_memberships_insert"();`);
    this.addSql(`create function "rapport_outbox_segment_memberships_update"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id)
      select case when n.left_at is null then 'segment.entered' else 'segment.exited' end, n.customer_id, n.segment_id
        from new_rows n join old_rows o on o.id = n.id where (n.left_at is null) <> (o.left_at is null) order by n.id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_segment_memberships_update" after update on "segment_memberships" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_outbox_segment_memberships_update"();`);
    // One function for both: analytics inserts rows wholesale, a future per-customer refresh would update them.
    this.addSql(`create function "rapport_outbox_customer_metrics"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, data)
      select 'lifecycle.changed', n.customer_id, jsonb_build_object('from', s.stage, 'to', n.lifecycle_stage)
        from new_rows n left join customer_lifecycle_states s on s.customer_id = n.customer_id
       where n.lifecycle_stage is not null and n.lifecycle_stage is distinct from s.stage order by n.customer_id;
      insert into customer_lifecycle_states as s (customer_id, stage, changed_at)
      select n.customer_id, n.lifecycle_stage, now() from new_rows n where n.lifecycle_stage is not null
      on conflict (customer_id) do update set stage = excluded.stage, changed_at = excluded.changed_at where s.stage is distinct from excluded.stage;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_outbox_customer_metrics_insert" after insert on "customer_metrics" referencing new table as new_rows for each statement execute function "rapport_outbox_customer_metrics"();`);
    this.addSql(`create trigger "rapport_outbox_customer_metrics_update" after update on "customer_metrics" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_outbox_customer_metrics"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "rapport_outbox_customers_insert" on "customers";`);
    this.addSql(`drop function if exists "rapport_outbox_customers_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_customers_update" on "customers";`);
    this.addSql(`drop function if exists "rapport_outbox_customers_update"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_orders_insert" on "orders";`);
    this.addSql(`drop function if exists "rapport_outbox_orders_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_interactions_insert" on "interactions";`);
    this.addSql(`drop function if exists "rapport_outbox_interactions_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_feedback_insert" on "feedback";`);
    this.addSql(`drop function if exists "rapport_outbox_feedback_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_feedback_update" on "feedback";`);
    this.addSql(`drop function if exists "rapport_outbox_feedback_update"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_consent_records_insert" on "consent_records";`);
    this.addSql(`drop function if exists "rapport_outbox_consent_records_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_customer_merges_insert" on "customer_merges";`);
    this.addSql(`drop function if exists "rapport_outbox_customer_merges_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_customer_merges_update" on "customer_merges";`);
    this.addSql(`drop function if exists "rapport_outbox_customer_merges_update"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_segment_memberships_insert" on "segment_memberships";`);
    this.addSql(`drop function if exists "rapport_outbox_segment_memberships_insert"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_segment_memberships_update" on "segment_memberships";`);
    this.addSql(`drop function if exists "rapport_outbox_segment_memberships_update"();`);
    this.addSql(`drop trigger if exists "rapport_outbox_customer_metrics_insert" on "customer_metrics";`);
    this.addSql(`drop trigger if exists "rapport_outbox_customer_metrics_update" on "customer_metrics";`);
    this.addSql(`drop function if exists "rapport_outbox_customer_metrics"();`);

    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_endpoint_id_foreign";`);

    this.addSql(`drop table if exists "customer_lifecycle_states" cascade;`);

    this.addSql(`drop table if exists "outbox_events" cascade;`);

    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
  }

}
