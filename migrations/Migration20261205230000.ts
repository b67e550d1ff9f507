import { Migration } from '@mikro-orm/migrations';

/**
 * Interactions partitioned by month (range on occurred_at, UTC months), issue #20.
 *
 * - Every unique key of a partitioned table must contain the partition key, so the primary key becomes
 *   (id, occurred_at) and the sender's event key (source, source_event_id) — unique across ALL months —
 *   moves to its own small table, interaction_event_keys. A BEFORE INSERT row trigger claims the key
 *   there and skips the row when it was claimed before: the same effect as the former
 *   `on conflict (source, source_event_id) do nothing`, for every writer (API, import, holdouts, seed).
 *   Update, delete and truncate triggers keep the key table in step; retention deletes the keys of the
 *   months it drops.
 * - rapport_ensure_interaction_partition(month) creates one month's partition (moving any rows the
 *   DEFAULT partition holds for it); the app calls it at startup and before each analytics run for the
 *   current month and INTERACTION_PARTITIONS_AHEAD ahead. The DEFAULT partition takes whatever no month
 *   partition does, so no write fails for want of one.
 * - The existing rows move in one INSERT … SELECT inside the migration's transaction (no data loss:
 *   the old table is dropped only after the copy, and the transaction commits both or neither). Indexes,
 *   keys and triggers are created after the copy, as a bulk load should.
 */
export class Migration20261205230000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "interaction_event_keys" ("source" text not null, "source_event_id" text not null, "interaction_id" uuid not null, "occurred_at" timestamptz not null, constraint "interaction_event_keys_pkey" primary key ("source", "source_event_id"));`);
    this.addSql(`create index "interaction_event_keys_occurred_at_idx" on "interaction_event_keys" ("occurred_at");`);

    // What retention keeps of the months it drops: counts per customer, month and what the models read
    // (type, channel, product, campaign, offer), with the first and last time.
    this.addSql(`create table "interaction_rollups" ("id" bigserial primary key, "customer_id" uuid not null, "month" date not null, "type" text not null, "channel" text not null, "product_id" uuid null, "campaign" text null, "offer_id" text null, "n" int not null, "first_at" timestamptz not null, "last_at" timestamptz not null);`);
    this.addSql(`alter table "interaction_rollups" add constraint "interaction_rollups_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`create index "interaction_rollups_customer_idx" on "interaction_rollups" ("customer_id", "type");`);
    this.addSql(`create index "interaction_rollups_campaign_idx" on "interaction_rollups" ("campaign", "type") where "campaign" is not null;`);

    this.addSql(`alter table "interactions" rename to "interactions_unpartitioned";`);
    this.addSql(`create table "interactions" (like "interactions_unpartitioned" including defaults including constraints including storage including comments) partition by range ("occurred_at");`);
    this.addSql(`create table "interactions_default" partition of "interactions" default;`);

    this.addSql(`create function "rapport_ensure_interaction_partition"(p_month date) returns boolean language plpgsql as $fn$
    declare
      lo timestamptz := (date_trunc('month', p_month::timestamp) at time zone 'UTC');
      hi timestamptz := ((date_trunc('month', p_month::timestamp) + interval '1 month') at time zone 'UTC');
      part text := 'interactions_p' || to_char(p_month, 'YYYY_MM');
    begin
      if to_regclass(format('%I', part)) is not null then return false; end if;
      -- Rows of that month already in DEFAULT move into the new partition before it is attached.
      execute format('create table %I (like interactions including defaults including constraints including storage)', part);
      execute format('with moved as (delete from interactions_default where occurred_at >= %L and occurred_at < %L returning *) insert into %I select * from moved', lo, hi, part);
      execute format('alter table interactions attach partition %I for values from (%L) to (%L)', part, lo, hi);
      return true;
    end $fn$;`);
    // Months that hold data (within a sane range: stray far dates stay in DEFAULT) and the next three.
    this.addSql(`select rapport_ensure_interaction_partition(m::date) from (
      select distinct date_trunc('month', occurred_at at time zone 'UTC') as m from "interactions_unpartitioned"
       where occurred_at > now() - interval '20 years' and occurred_at < now() + interval '2 years'
      union select generate_series(date_trunc('month', now() at time zone 'UTC'), date_trunc('month', now() at time zone 'UTC') + interval '3 months', interval '1 month')) ms
      order by m;`);

    this.addSql(`insert into "interactions" select * from "interactions_unpartitioned";`);
    this.addSql(`insert into "interaction_event_keys" ("source", "source_event_id", "interaction_id", "occurred_at")
      select "source", "source_event_id", "id", "occurred_at" from "interactions_unpartitioned" where "source_event_id" is not null;`);
    // Every trigger the old table had (the outbox's of Migration20261205200032, and any a later-dated
    // migration already applied on this database added, e.g. segment refreshes) moves to the new one:
    // statement triggers on the partitioned root see the rows of every partition in their transition tables.
    this.addSql(`do $do$ declare r record; begin
      for r in select pg_get_triggerdef(t.oid) as def from pg_trigger t where t.tgrelid = 'interactions_unpartitioned'::regclass and not t.tgisinternal order by t.tgname loop
        execute replace(r.def, ' ON public.interactions_unpartitioned ', ' ON public.interactions ');
      end loop;
    end $do$;`);
    this.addSql(`drop table "interactions_unpartitioned";`);

    this.addSql(`alter table "interactions" add constraint "interactions_pkey" primary key ("id", "occurred_at");`);
    this.addSql(`create index "interactions_customer_occurred_at_idx" on "interactions" ("customer_id", "occurred_at", "id");`);
    this.addSql(`create index "interactions_source_event_idx" on "interactions" ("source", "source_event_id");`);
    this.addSql(`create index "interactions_product_id_idx" on "interactions" ("product_id");`);
    this.addSql(`create index "interactions_offer_response_idx" on "interactions" ("customer_id", (properties ->> 'offerId')) where "type" in ('offer_shown', 'offer_accepted', 'offer_rejected');`);
    this.addSql(`create index "interactions_campaign_type_idx" on "interactions" ("campaign", "type", "customer_id") where "campaign" is not null;`);
    this.addSql(`alter table "interactions" add constraint "interactions_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "interactions" add constraint "interactions_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);

    // The event key, unique across partitions.
    this.addSql(`create function "rapport_interactions_claim_key"() returns trigger language plpgsql as $fn$
    begin
      insert into interaction_event_keys (source, source_event_id, interaction_id, occurred_at)
      values (new.source, new.source_event_id, new.id, new.occurred_at)
      -- the same interaction again: an UPDATE moving it to another month's partition inserts it there
      on conflict (source, source_event_id) do update set occurred_at = excluded.occurred_at
        where interaction_event_keys.interaction_id = excluded.interaction_id;
      if found then return new; end if;
      return null; -- another interaction holds the key: skipped, as ON CONFLICT DO NOTHING would
    end $fn$;`);
    this.addSql(`create trigger "rapport_interactions_claim_key" before insert on "interactions" for each row when (new.source_event_id is not null) execute function "rapport_interactions_claim_key"();`);
    this.addSql(`create function "rapport_interactions_rekey"() returns trigger language plpgsql as $fn$
    begin
      -- (After a partition-moving UPDATE — a DELETE then an INSERT — the row still exists: its key stays.)
      if tg_op in ('UPDATE', 'DELETE') and old.source_event_id is not null
         and (tg_op = 'UPDATE' or not exists (select 1 from interactions i where i.id = old.id)) then
        delete from interaction_event_keys where source = old.source and source_event_id = old.source_event_id and interaction_id = old.id;
      end if;
      if tg_op = 'UPDATE' and new.source_event_id is not null then
        insert into interaction_event_keys (source, source_event_id, interaction_id, occurred_at) values (new.source, new.source_event_id, new.id, new.occurred_at)
        on conflict (source, source_event_id) do update set occurred_at = excluded.occurred_at where interaction_event_keys.interaction_id = excluded.interaction_id;
        if not found then
          raise unique_violation using message = format('duplicate key value: interaction event (%s, %s) exists', new.source, new.source_event_id),
            constraint = 'interaction_event_keys_pkey';
        end if;
      end if;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_interactions_rekey_update" after update of "source", "source_event_id", "occurred_at" on "interactions" for each row
      when (old.source is distinct from new.source or old.source_event_id is distinct from new.source_event_id or old.occurred_at is distinct from new.occurred_at)
      execute function "rapport_interactions_rekey"();`);
    this.addSql(`create trigger "rapport_interactions_rekey_delete" after delete on "interactions" for each row when (old.source_event_id is not null) execute function "rapport_interactions_rekey"();`);
    this.addSql(`create function "rapport_interactions_truncate_keys"() returns trigger language plpgsql as $fn$
    begin
      truncate interaction_event_keys;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_interactions_truncate_keys" after truncate on "interactions" for each statement execute function "rapport_interactions_truncate_keys"();`);

    this.addSql(`analyze "interactions";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "interactions" rename to "interactions_partitioned";`);
    this.addSql(`create table "interactions" (like "interactions_partitioned" including defaults including constraints including storage including comments);`);
    this.addSql(`insert into "interactions" select * from "interactions_partitioned";`);
    this.addSql(`drop table "interactions_partitioned" cascade;`);
    this.addSql(`alter table "interactions" add constraint "interactions_pkey" primary key ("id");`);
    this.addSql(`alter table "interactions" add constraint "interactions_source_event_key" unique ("source", "source_event_id");`);
    this.addSql(`create index "interactions_customer_occurred_at_idx" on "interactions" ("customer_id", "occurred_at", "id");`);
    this.addSql(`create index "interactions_product_id_idx" on "interactions" ("product_id");`);
    this.addSql(`create index "interactions_offer_response_idx" on "interactions" ("customer_id", (properties ->> 'offerId')) where "type" in ('offer_shown', 'offer_accepted', 'offer_rejected');`);
    this.addSql(`create index "interactions_campaign_type_idx" on "interactions" ("campaign", "type", "customer_id") where "campaign" is not null;`);
    this.addSql(`alter table "interactions" add constraint "interactions_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "interactions" add constraint "interactions_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);
    this.addSql(`create trigger "rapport_outbox_interactions_insert" after insert on "interactions" referencing new table as new_rows for each statement execute function "rapport_outbox_interactions_insert"();`);
    this.addSql(`drop function if exists "rapport_interactions_claim_key"();`);
    this.addSql(`drop function if exists "rapport_interactions_rekey"();`);
    this.addSql(`drop function if exists "rapport_interactions_truncate_keys"();`);
    this.addSql(`drop function if exists "rapport_ensure_interaction_partition"(date);`);
    this.addSql(`drop table if exists "interaction_event_keys";`);
    this.addSql(`drop table if exists "interaction_rollups";`);
  }

}
