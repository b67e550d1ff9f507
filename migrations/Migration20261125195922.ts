import { Migration } from '@mikro-orm/migrations';

export class Migration20261125195922 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_keys" ("id" uuid not null default gen_random_uuid(), "name" text not null, "prefix" text not null, "secret_hash" text not null, "scopes" text[] not null, "created_by" text not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_prefix_key" unique ("prefix");`);
    this.addSql(`create index "api_keys_revoked_at_idx" on "api_keys" ("revoked_at");`);

    this.addSql(`create table "audit_log" ("id" uuid not null default gen_random_uuid(), "at" timestamptz not null default now(), "request_id" text not null, "actor" text not null, "role" text not null, "api_key_id" uuid null, "action" text not null, "operation" text null, "customer_id" uuid null, "fields" text[] not null default '{}', constraint "audit_log_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_log_at_idx" on "audit_log" ("at", "id");`);
    this.addSql(`create index "audit_log_customer_at_idx" on "audit_log" ("customer_id", "at");`);

    this.addSql(`create table "suppressed_identifiers" ("digest" text not null, "suppressed_at" timestamptz not null default now(), constraint "suppressed_identifiers_pkey" primary key ("digest"));`);

    // The consent in force for (customer, purpose, channel): the newest record for that channel or
    // for ANY channel. One definition, used by targeting filters and by the permission layer's loader.
    this.addSql(`create function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select r.status from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.seq desc limit 1), 'none') $$;`);

    this.addSql(`drop index "order_lines_order_id_idx";`);

    // Lines keep the order they were sent in. Existing rows (if any) are numbered by id.
    this.addSql(`alter table "order_lines" add column "position" smallint null;`);
    this.addSql(`update "order_lines" l set "position" = r.rn from (select id, row_number() over (partition by order_id order by id) as rn from "order_lines") r where r.id = l.id;`);
    this.addSql(`alter table "order_lines" alter column "position" set not null;`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_order_position_key" unique ("order_id", "position");`);

    this.addSql(`alter table "interactions" drop constraint "interactions_source_event_id_key";`);

    this.addSql(`alter table "interactions" add constraint "interactions_source_event_key" unique ("source", "source_event_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop table if exists "audit_log" cascade;`);

    this.addSql(`drop table if exists "suppressed_identifiers" cascade;`);
    this.addSql(`drop function if exists "rapport_consent_status"(uuid, text, text);`);

    this.addSql(`alter table "interactions" drop constraint "interactions_source_event_key";`);

    this.addSql(`alter table "interactions" add constraint "interactions_source_event_id_key" unique ("source_event_id");`);

    this.addSql(`alter table "order_lines" drop constraint "order_lines_order_position_key";`);
    this.addSql(`alter table "order_lines" drop column "position";`);

    this.addSql(`create index "order_lines_order_id_idx" on "order_lines" ("order_id");`);
  }

}
