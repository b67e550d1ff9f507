import { Migration } from '@mikro-orm/migrations';

/**
 * The consent in force is the customer's newest decision by when they made it (`recorded_at`, which a
 * write may set to a decision captured earlier), insertion order (`seq`) breaking ties between
 * decisions of the same instant. Ordered by `seq` alone, a decision told late won: a grant given a
 * month ago and synced today from another system undid the withdrawal the customer made yesterday,
 * for targeting, marketing's contact fields, partners' third-party sharing, segments and exports.
 * Every reader of the consent in force goes through this function or orders the same way
 * (src/loaders, src/planner, src/exports).
 */
export class Migration20261206170000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.recorded_at desc, r.seq desc limit 1), 'none') $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_consent_status"(p_customer uuid, p_purpose text, p_channel text) returns text language sql stable as $$
      select coalesce((select case when r.status = 'granted' and r.expires_at <= now() then 'expired' else r.status end
                       from consent_records r
                       where r.customer_id = p_customer and r.purpose = p_purpose and r.channel in (p_channel, 'any')
                       order by r.seq desc limit 1), 'none') $$;`);
  }

}
