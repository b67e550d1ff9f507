import { Migration } from '@mikro-orm/migrations';

/**
 * A grant lapsing at its `expires_at` is a change of the consent in force, and is now announced as one.
 *
 * Until now the consent in force turned `expired` silently: every read computes it (rapport_consent_status
 * compares expires_at with now()), so no use was ever allowed past the expiry, but nothing was written when
 * the instant passed. A partner or a webhook receiver that acts on `consent.changed` (it stops marketing on
 * a withdrawal) never learnt that a time-limited grant had run out, and a segment requiring that consent
 * kept the customer's stay open until the segment's next full evaluation.
 *
 * rapport_announce_consent_expiries(p_lookback) is called every CONSENT_EXPIRY_POLL_SECONDS by the server
 * (src/privacy/consent-expiry.ts). For each grant whose expires_at has passed (within the look-back window:
 * an index range scan, not every expired grant ever) and that has not been handled yet, it records the
 * grant in consent_expiries (its primary key makes the handling once-only across instances and rounds:
 * `on conflict do nothing returning` hands each grant to one caller; rows past the window are pruned, so
 * the table holds about a window's expiries), then:
 * - the channels on which that grant was the record in force (its own channel; for an ANY grant, ANY and
 *   every channel of the purpose whose newest decision is older) turned from granted to expired: one
 *   `consent.changed` event, as the insert trigger writes them (Migration20261206194000): `status` expired,
 *   `previousStatus` granted, `recordedStatus` granted, `changedChannels`, and `expiredAt`;
 * - a grant already superseded by a newer decision changes nothing in force: recorded as handled, no event;
 * - the customers concerned are re-evaluated against the segments that read consent
 *   (rapport_segments_refresh, as a consent write does).
 * A grant written already past its expiry (a late-synced record) was judged by the insert trigger, which saw
 * it as `expired`: the statement-level trigger below records it as handled at insertion, so it is not
 * announced a second time. Grants that had lapsed before this migration are recorded as handled here.
 */
export class Migration20261206220000 extends Migration {

  override async up(): Promise<void> {
    // No foreign key and no customer column: a row names a record by id only (nothing personal), and is
    // pruned once its expiry is past the look-back window; an erased record's row goes with that pruning.
    this.addSql(`create table "consent_expiries" (
      "consent_record_id" uuid not null primary key,
      "expires_at" timestamptz not null,
      "handled_at" timestamptz not null default now(),
      "announced" boolean not null);`);
    this.addSql(`create index "consent_expiries_expires_at_idx" on "consent_expiries" ("expires_at");`);
    this.addSql(`comment on table "consent_expiries" is 'Time-limited grants whose expiry has been handled (announced as consent.changed where it changed the consent in force). Migration20261206220000.';`);
    this.addSql(`create index "consent_records_expires_at_idx" on "consent_records" ("expires_at") where "expires_at" is not null;`);
    this.addSql(`insert into "consent_expiries" ("consent_record_id", "expires_at", "announced") select "id", "expires_at", false from "consent_records" where "expires_at" <= now();`);

    this.addSql(`create function "rapport_consent_expiries_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into consent_expiries (consent_record_id, expires_at, announced)
      select n.id, n.expires_at, false from new_rows n where n.expires_at <= now()
      on conflict do nothing;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_consent_expiries_insert" after insert on "consent_records" referencing new table as new_rows for each statement execute function "rapport_consent_expiries_insert"();`);

    this.addSql(`create function "rapport_consent_in_force_id"(p_customer uuid, p_purpose text, p_channel text) returns uuid language sql stable as $$
      select r.id from consent_records r
       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
       order by r.recorded_at desc, r.seq desc limit 1 $$;`);

    this.addSql(`create function "rapport_announce_consent_expiries"(p_lookback interval) returns integer language plpgsql as $fn$
    declare
      k record;
      ch text;
      changed jsonb;
      announced integer := 0;
      touched uuid[] := '{}';
    begin
      for k in
        with due as (
          insert into consent_expiries (consent_record_id, expires_at, announced)
          select r.id, r.expires_at, false from consent_records r
           where r.expires_at is not null and r.expires_at <= now() and r.expires_at > now() - p_lookback and r.status = 'granted'
           order by r.expires_at, r.id
          on conflict do nothing
          returning consent_record_id)
        select r.id, r.customer_id, r.purpose, r.channel, r.expires_at, r.seq
          from due join consent_records r on r.id = due.consent_record_id
         order by r.expires_at, r.seq
      loop
        changed := '[]'::jsonb;
        for ch in
          select k.channel
          union
          select distinct r.channel from consent_records r where k.channel = 'any' and r.customer_id = k.customer_id and r.purpose = k.purpose
          order by 1
        loop
          if rapport_consent_in_force_id(k.customer_id, k.purpose, ch) = k.id then changed := changed || to_jsonb(ch); end if;
        end loop;
        if jsonb_array_length(changed) > 0 then
          insert into outbox_events (type, customer_id, subject_id, data)
          values ('consent.changed', k.customer_id, k.id, jsonb_build_object('purpose', k.purpose, 'channel', k.channel, 'status', 'expired',
                  'previousStatus', 'granted', 'recordedStatus', 'granted', 'changedChannels', changed,
                  'expiredAt', to_char(k.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
          update consent_expiries set announced = true where consent_record_id = k.id;
          touched := touched || k.customer_id;
          announced := announced + 1;
        end if;
      end loop;
      -- Past the window, a grant is never looked at again: its row has done its work.
      delete from consent_expiries where expires_at <= now() - p_lookback;
      if cardinality(touched) > 0 then
        perform rapport_segments_refresh(touched, array['consent']);
      end if;
      return announced;
    end $fn$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "rapport_announce_consent_expiries"(interval);`);
    this.addSql(`drop function if exists "rapport_consent_in_force_id"(uuid, text, text);`);
    this.addSql(`drop trigger if exists "rapport_consent_expiries_insert" on "consent_records";`);
    this.addSql(`drop function if exists "rapport_consent_expiries_insert"();`);
    this.addSql(`drop index if exists "consent_records_expires_at_idx";`);
    this.addSql(`drop table if exists "consent_expiries";`);
  }

}
