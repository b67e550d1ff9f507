import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: one audit row per batch instead of one per customer.
 *
 * A batch of 500 events of known customers wrote ~490 WRITE rows to `audit_log`, each with three
 * index entries (primary key, time, customer): about a tenth of PostgreSQL's work per event. A batch
 * writing several customers now writes one row naming them all in `customer_ids` (sorted), with
 * `customer_id` null; a write of one customer keeps `customer_id` as before. `auditLog(customerId)`
 * finds a customer's entries through either column (the GIN index here, the existing
 * `audit_log_customer_at_idx`).
 */
export class Migration20261206080000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "audit_log" add column "customer_ids" uuid[] null;`);
    this.addSql(`create index "audit_log_customer_ids_idx" on "audit_log" using gin ("customer_ids") where "customer_ids" is not null;`);
  }

  override async down(): Promise<void> {
    // Batch rows become one row per customer again, as they were written before.
    this.addSql(`insert into "audit_log" ("at", "request_id", "actor", "role", "api_key_id", "action", "operation", "customer_id", "fields")
                 select a."at", a."request_id", a."actor", a."role", a."api_key_id", a."action", a."operation", c, a."fields"
                 from "audit_log" a cross join unnest(a."customer_ids") as c where a."customer_ids" is not null;`);
    this.addSql(`delete from "audit_log" where "customer_ids" is not null;`);
    this.addSql(`drop index "audit_log_customer_ids_idx";`);
    this.addSql(`alter table "audit_log" drop column "customer_ids";`);
  }

}
