import { Migration } from '@mikro-orm/migrations';

export class Migration20261204180000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "customers" add column "field_provenance" jsonb not null default '{}';`);

    this.addSql(`create table "customer_merges" ("id" uuid not null default gen_random_uuid(), "survivor_id" uuid not null, "loser_id" uuid not null, "reason" text not null, "actor" text not null, "automatic" boolean not null default false, "moved" jsonb not null, "survivor_before" jsonb not null, "loser_before" jsonb not null, "survivor_after" jsonb not null, "created_at" timestamptz not null default now(), "undone_at" timestamptz null, "undone_by" text null, constraint "customer_merges_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_merges_survivor_id_idx" on "customer_merges" ("survivor_id");`);
    this.addSql(`create index "customer_merges_loser_id_idx" on "customer_merges" ("loser_id");`);
    this.addSql(`alter table "customer_merges" add constraint "customer_merges_survivor_id_foreign" foreign key ("survivor_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "customer_merges" add constraint "customer_merges_loser_id_foreign" foreign key ("loser_id") references "customers" ("id") on update cascade;`);

    // Merges move consent records between customers; the ledger stays append-only otherwise. Only an
    // UPDATE that changes nothing but customer_id passes, and only while the merge service has set the
    // transaction-local flag; deletes, truncation and every other rewrite are still refused.
    this.addSql(`create or replace function "rapport_forbid_consent_rewrite"() returns trigger language plpgsql as $$ begin
      if tg_op = 'UPDATE' and coalesce(current_setting('rapport.reassign', true), '') = 'on'
         and (to_jsonb(new) - 'customer_id') = (to_jsonb(old) - 'customer_id') then
        return new;
      end if;
      raise exception 'consent_records is append-only' using errcode = 'restrict_violation'; end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_forbid_consent_rewrite"() returns trigger language plpgsql as $$ begin raise exception 'consent_records is append-only' using errcode = 'restrict_violation'; end $$;`);
    this.addSql(`drop table if exists "customer_merges" cascade;`);
    this.addSql(`alter table "customers" drop column "field_provenance";`);
  }

}
