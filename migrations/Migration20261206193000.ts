import { Migration } from '@mikro-orm/migrations';

/**
 * consent_records_current_idx in the order of the consent in force (Migration20261206170000,
 * consentInForceOrder): (customer, purpose, channel, recorded_at desc, seq desc). It was
 * (customer, purpose, channel, seq), the order from before recorded_at came first, which no reader of
 * the consent in force can walk: each fetched every record of the key and sorted them.
 *
 * rapport_consent_status reads the channel's newest record and ANY's newest record, each with its
 * own LIMIT 1 on this index, and keeps the newer of the two. With `channel in (p_channel, 'any')`
 * the planner cannot walk one index range in order for two channels, so it fetched and sorted every
 * record of both (EXPLAIN with 2,000 records per key: 337 buffers and a top-N sort before, 8 buffers
 * and two one-row index scans after). Same answer: the newest by (recorded_at, seq) of the union.
 * The loader's and the read planner's DISTINCT ON can be served by this index in order without a sort;
 * PostgreSQL still picks a bitmap scan and a sort when a customer's records are few.
 */
export class Migration20261206193000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index if exists "consent_records_current_idx";`);
    this.addSql(`create index "consent_records_current_idx" on "consent_records" ("customer_id", "purpose", "channel", "recorded_at" desc, "seq" desc);`);
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from ((select c.status, c.expires_at, c.recorded_at, c.seq from consent_records c
                              where c.customer_id = p_customer and c.purpose = p_purpose and c.channel = p_channel
                              order by c.recorded_at desc, c.seq desc limit 1)
                             union all
                             (select a.status, a.expires_at, a.recorded_at, a.seq from consent_records a
                              where a.customer_id = p_customer and a.purpose = p_purpose and a.channel = 'any'
                              order by a.recorded_at desc, a.seq desc limit 1)) r
                       order by r.recorded_at desc, r.seq desc limit 1), 'none') $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.recorded_at desc, r.seq desc limit 1), 'none') $$;`);
    this.addSql(`drop index if exists "consent_records_current_idx";`);
    this.addSql(`create index "consent_records_current_idx" on "consent_records" ("customer_id", "purpose", "channel", "seq");`);
  }

}
