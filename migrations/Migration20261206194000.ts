import { Migration } from '@mikro-orm/migrations';

/**
 * `consent.changed` announces the consent in force, and only when a write changed it.
 *
 * It said the status of the record just written. Since the consent in force is the newest decision
 * by recorded_at (Migration20261206170000), a record can be written that is not in force: a grant
 * given a month ago, synced late from another system, after the customer withdrew yesterday. The
 * event announced it as a grant, and a partner acting on it would contact someone who had said no.
 *
 * Per statement (the trigger is statement-level, an import writes thousands of records at once): the
 * consent in force of every (customer, purpose, channel) the statement's records can affect, before
 * the statement (its own records left out) and after, computed as rapport_consent_status does
 * (newest by recorded_at then seq, among the channel's records and ANY's; a grant past its expiry is
 * `expired`; no record: `none`). A record on ANY affects every channel: the customer's channels with
 * decisions of their own, and ANY itself, which stands for the rest. One event per
 * (customer, purpose, channel) the statement wrote to, naming its newest record there, and only if
 * the consent in force changed on one of those channels:
 * - `status`: in force now for the record's (purpose, channel); `previousStatus`: before the write;
 * - `recordedStatus`: what the record itself says (the old `status`);
 * - `changedChannels`: the channels whose consent in force changed (for an ANY record, `any` stands
 *   for the channels without a decision of their own).
 * A write that changes nothing in force (the late grant above, the same decision repeated) announces
 * nothing: the record is still in the ledger, and readable through the API.
 */
const BEFORE = `create or replace function "rapport_outbox_consent_records_insert"() returns trigger language plpgsql as $fn$
    begin
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'consent.changed', n.customer_id, n.id, jsonb_build_object('purpose', n.purpose, 'channel', n.channel, 'status', n.status) from new_rows n order by n.seq;
      return null;
    end $fn$;`;

/**
 * The consent in force, as rapport_consent_status computes it, leaving out the records `p_skip`: the
 * statement's own records, for the consent in force before it. Two one-row index scans
 * (consent_records_current_idx), each skipping at most the statement's records of that key.
 */
const WAS_IN_FORCE = `create or replace function "rapport_consent_status_without"(p_customer uuid, p_purpose text, p_channel text, p_skip uuid[]) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from ((select c.status, c.expires_at, c.recorded_at, c.seq from consent_records c
                              where c.customer_id = p_customer and c.purpose = p_purpose and c.channel = p_channel and c.id <> all(p_skip)
                              order by c.recorded_at desc, c.seq desc limit 1)
                             union all
                             (select a.status, a.expires_at, a.recorded_at, a.seq from consent_records a
                              where a.customer_id = p_customer and a.purpose = p_purpose and a.channel = 'any' and a.id <> all(p_skip)
                              order by a.recorded_at desc, a.seq desc limit 1)) r
                       order by r.recorded_at desc, r.seq desc limit 1), 'none') $$;`;

/**
 * One pass per (customer, purpose, channel) the statement wrote, in the order of their newest records;
 * per channel it can affect, the consent in force now and before the statement, by index. A loop
 * rather than one set-based statement: the planner has no statistics on the transition table, and a
 * set-based version planned as nested loops over CTEs took 30 s for 2,000 records.
 */
const AFTER = `create or replace function "rapport_outbox_consent_records_insert"() returns trigger language plpgsql as $fn$
    declare
      k record;
      ch text;
      now_status text;
      was_status text;
      status_now text;
      status_was text;
      changed jsonb;
    begin
      for k in
        select w.* from (
          select distinct on (n.customer_id, n.purpose, n.channel) n.customer_id, n.purpose, n.channel, n.id, n.status, n.seq,
                 array_agg(n.id) over (partition by n.customer_id, n.purpose) as own
          from new_rows n order by n.customer_id, n.purpose, n.channel, n.recorded_at desc, n.seq desc) w
        order by w.seq
      loop
        changed := '[]'::jsonb;
        -- A record on ANY can change every channel of the purpose: ANY itself (the channels without a
        -- decision of their own) and each channel with decisions of its own.
        for ch in
          select k.channel
          union
          select distinct r.channel from consent_records r where k.channel = 'any' and r.customer_id = k.customer_id and r.purpose = k.purpose
          order by 1
        loop
          now_status := rapport_consent_status(k.customer_id, k.purpose, ch);
          was_status := rapport_consent_status_without(k.customer_id, k.purpose, ch, k.own);
          if now_status <> was_status then changed := changed || to_jsonb(ch); end if;
          if ch = k.channel then status_now := now_status; status_was := was_status; end if;
        end loop;
        if jsonb_array_length(changed) > 0 then
          insert into outbox_events (type, customer_id, subject_id, data)
          values ('consent.changed', k.customer_id, k.id, jsonb_build_object('purpose', k.purpose, 'channel', k.channel, 'status', status_now,
                  'previousStatus', status_was, 'recordedStatus', k.status, 'changedChannels', changed));
        end if;
      end loop;
      return null;
    end $fn$;`;

export class Migration20261206194000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(WAS_IN_FORCE);
    this.addSql(AFTER);
  }

  override async down(): Promise<void> {
    this.addSql(BEFORE);
    this.addSql(`drop function if exists "rapport_consent_status_without"(uuid, text, text, uuid[]);`);
  }

}
