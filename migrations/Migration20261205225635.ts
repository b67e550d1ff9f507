import { Migration } from '@mikro-orm/migrations';

export class Migration20261205225635 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "consent_records" add column "expires_at" timestamptz null;`);
    // The consent in force (newest record for the channel or for ANY) now also lapses: a grant past its
    // expires_at answers 'expired', which no check accepts (they all ask for 'granted').
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.seq desc limit 1), 'none') $$;`);

    this.addSql(`alter table "outbox_events" add column "live_relayed_at" timestamptz null;`);
    // What was written before the relay existed is history, not news: never sent to subscribers.
    this.addSql(`update "outbox_events" set "live_relayed_at" = "occurred_at" where "type" in ('segment.entered', 'segment.exited', 'lifecycle.changed');`);
    this.addSql(`create index "outbox_events_live_pending_idx" on "outbox_events" ("id") where "live_relayed_at" is null and "type" in ('segment.entered', 'segment.exited', 'lifecycle.changed');`);

    this.addSql(`alter table "webhook_deliveries" add column "job_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select r.status from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.seq desc limit 1), 'none') $$;`);
    this.addSql(`alter table "consent_records" drop column "expires_at";`);

    this.addSql(`drop index "outbox_events_live_pending_idx";`);
    this.addSql(`alter table "outbox_events" drop column "live_relayed_at";`);

    this.addSql(`alter table "webhook_deliveries" drop column "job_id";`);
  }

}
