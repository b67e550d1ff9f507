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

/** Ranks a key's records in force first, rapport_consent_status's order. */
const IN_FORCE = 'r.recorded_at desc, r.seq desc';

const AFTER = `create or replace function "rapport_outbox_consent_records_insert"() returns trigger language plpgsql as $fn$
    begin
      with touched as (select distinct customer_id, purpose from new_rows),
      recs as (
        select r.customer_id, r.purpose, r.channel, r.recorded_at, r.seq, x.id is not null as is_new,
               case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end as status
        from touched t join consent_records r on r.customer_id = t.customer_id and r.purpose = t.purpose
        left join new_rows x on x.id = r.id),
      chans as (select distinct customer_id, purpose, channel from recs),
      now_in_force as (
        select distinct on (c.customer_id, c.purpose, c.channel) c.customer_id, c.purpose, c.channel, r.status
        from chans c join recs r on r.customer_id = c.customer_id and r.purpose = c.purpose and r.channel in (c.channel, 'any')
        order by c.customer_id, c.purpose, c.channel, ${IN_FORCE}),
      was_in_force as (
        select distinct on (c.customer_id, c.purpose, c.channel) c.customer_id, c.purpose, c.channel, r.status
        from chans c join recs r on r.customer_id = c.customer_id and r.purpose = c.purpose and r.channel in (c.channel, 'any') and not r.is_new
        order by c.customer_id, c.purpose, c.channel, ${IN_FORCE}),
      st as (
        select a.customer_id, a.purpose, a.channel, a.status, coalesce(b.status, 'none') as previous
        from now_in_force a left join was_in_force b on b.customer_id = a.customer_id and b.purpose = a.purpose and b.channel = a.channel),
      written as (
        select distinct on (r.customer_id, r.purpose, r.channel) r.* from new_rows r order by r.customer_id, r.purpose, r.channel, ${IN_FORCE}),
      changed as (
        select w.id, jsonb_agg(c.channel order by c.channel) as channels
        from written w join st c on c.customer_id = w.customer_id and c.purpose = w.purpose and (c.channel = w.channel or w.channel = 'any')
        where c.status <> c.previous
        group by w.id)
      insert into outbox_events (type, customer_id, subject_id, data)
      select 'consent.changed', w.customer_id, w.id,
             jsonb_build_object('purpose', w.purpose, 'channel', w.channel, 'status', s.status, 'previousStatus', s.previous,
                                'recordedStatus', w.status, 'changedChannels', ch.channels)
      from written w
      join changed ch on ch.id = w.id
      join st s on s.customer_id = w.customer_id and s.purpose = w.purpose and s.channel = w.channel
      order by w.seq;
      return null;
    end $fn$;`;

export class Migration20261206194000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(AFTER);
  }

  override async down(): Promise<void> {
    this.addSql(BEFORE);
  }

}
