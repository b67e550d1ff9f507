import { Migration } from '@mikro-orm/migrations';

/**
 * Real-time segment exits on consent withdrawal (README "Differentiate" → real-time membership): a
 * consent record that is not a grant closes, in the same transaction, the customer's open stays in
 * every segment whose rule requires that consent (a granted `consent` condition at the top of the
 * rule or anywhere under `all`), once the consent in force no longer grants it. The exits reach the
 * outbox as segment.exited through the membership trigger.
 */
export class Migration20261205205000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "rapport_rule_required_consents"(r jsonb) returns table (purpose text, channel text) language plpgsql immutable as $fn$
    declare e jsonb;
    begin
      if jsonb_typeof(r -> 'consent') = 'object' and coalesce(r -> 'consent' ->> 'status', 'granted') = 'granted' then
        purpose := r -> 'consent' ->> 'purpose';
        channel := coalesce(r -> 'consent' ->> 'channel', 'any');
        return next;
      end if;
      if jsonb_typeof(r -> 'all') = 'array' then
        for e in select value from jsonb_array_elements(r -> 'all') loop
          return query select * from rapport_rule_required_consents(e);
        end loop;
      end if;
    end $fn$;`);
    this.addSql(`create function "rapport_segments_consent_withdrawn"() returns trigger language plpgsql as $fn$
    begin
      with closed as (
        update segment_memberships sm set left_at = now()
         where sm.left_at is null and (sm.segment_id, sm.customer_id) in (
           select s.id, w.customer_id
             from (select distinct customer_id, purpose, channel from new_rows where status <> 'granted') w
             join segment_memberships m on m.customer_id = w.customer_id and m.left_at is null
             join segments s on s.id = m.segment_id
             cross join lateral rapport_rule_required_consents(s.rule) q
            where q.purpose = w.purpose and (q.channel = w.channel or w.channel = 'any')
              and rapport_consent_status(w.customer_id, q.purpose, q.channel) <> 'granted')
        returning sm.segment_id)
      update segments s set member_count = greatest(0, s.member_count - c.n)
        from (select segment_id, count(*) as n from closed group by segment_id) c where s.id = c.segment_id;
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_segments_consent_withdrawn" after insert on "consent_records" referencing new table as new_rows for each statement execute function "rapport_segments_consent_withdrawn"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "rapport_segments_consent_withdrawn" on "consent_records";`);
    this.addSql(`drop function if exists "rapport_segments_consent_withdrawn"();`);
    this.addSql(`drop function if exists "rapport_rule_required_consents"(jsonb);`);
  }

}
