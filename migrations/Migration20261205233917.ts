import { Migration } from '@mikro-orm/migrations';

/** Triggers (README "Triggers"): triggers, their firings, support tasks, offer grants, and the matcher's mark on the outbox. */
export class Migration20261205233917 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "offer_grants" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "offer_id" uuid not null, "firing_id" uuid not null, "granted_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "offer_grants_pkey" primary key ("id"));`);
    this.addSql(`alter table "offer_grants" add constraint "offer_grants_firing_key" unique ("firing_id");`);
    this.addSql(`create index "offer_grants_customer_idx" on "offer_grants" ("customer_id", "offer_id", "expires_at");`);

    this.addSql(`create table "support_tasks" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "title" text not null, "note" text null, "event_type" text not null, "trigger_id" uuid null, "firing_id" uuid null, "status" text not null default 'open', "created_at" timestamptz not null default now(), constraint "support_tasks_pkey" primary key ("id"));`);
    this.addSql(`alter table "support_tasks" add constraint "support_tasks_firing_key" unique ("firing_id");`);
    this.addSql(`create index "support_tasks_customer_idx" on "support_tasks" ("customer_id");`);
    this.addSql(`create index "support_tasks_status_idx" on "support_tasks" ("status", "created_at", "id");`);

    this.addSql(`create table "triggers" ("id" uuid not null default gen_random_uuid(), "name" text not null, "condition" text not null, "segment_id" uuid null, "lifecycle_stages" text[] not null default '{}', "cart_hours" int null, "action" text not null, "webhook_endpoint_id" uuid null, "offer_id" uuid null, "offer_days" int null, "task_note" text null, "delay_seconds" int not null default 0, "consent_purpose" text null, "cap_count" int null, "cap_window_hours" int null, "enabled" boolean not null default true, "created_by" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "triggers_pkey" primary key ("id"));`);

    this.addSql(`create table "trigger_firings" ("id" uuid not null default gen_random_uuid(), "trigger_id" uuid not null, "customer_id" uuid not null, "event_id" bigint not null, "event_type" text not null, "status" text not null default 'scheduled', "reason" text null, "due_at" timestamptz not null, "decided_at" timestamptz null, "requeued_at" timestamptz null, "action_ref" uuid null, "created_at" timestamptz not null default now(), constraint "trigger_firings_pkey" primary key ("id"));`);
    this.addSql(`create index "trigger_firings_fired_idx" on "trigger_firings" ("customer_id", "decided_at") where "status" = 'fired';`);
    this.addSql(`create index "trigger_firings_scheduled_idx" on "trigger_firings" ("due_at") where "status" = 'scheduled';`);
    this.addSql(`create index "trigger_firings_trigger_idx" on "trigger_firings" ("trigger_id", "created_at", "id");`);
    this.addSql(`create index "trigger_firings_customer_idx" on "trigger_firings" ("customer_id", "created_at", "id");`);
    this.addSql(`alter table "trigger_firings" add constraint "trigger_firings_trigger_event_key" unique ("trigger_id", "event_id");`);

    this.addSql(`alter table "support_tasks" add constraint "support_tasks_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "trigger_firings" add constraint "trigger_firings_trigger_id_foreign" foreign key ("trigger_id") references "triggers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "trigger_firings" add constraint "trigger_firings_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "outbox_events" add column "triggers_matched_at" timestamptz null;`);
    // Events from before triggers existed match none (a trigger matches events after its creation): marked, so the matcher does not walk the history.
    this.addSql(`update "outbox_events" set "triggers_matched_at" = now();`);
    this.addSql(`create index "outbox_events_unmatched_idx" on "outbox_events" ("id") where "triggers_matched_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "trigger_firings" drop constraint "trigger_firings_trigger_id_foreign";`);

    this.addSql(`drop table if exists "offer_grants" cascade;`);

    this.addSql(`drop table if exists "support_tasks" cascade;`);

    this.addSql(`drop table if exists "triggers" cascade;`);

    this.addSql(`drop table if exists "trigger_firings" cascade;`);

    this.addSql(`drop index "outbox_events_unmatched_idx";`);
    this.addSql(`alter table "outbox_events" drop column "triggers_matched_at";`);
  }

}
