import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: the ledger's result is written as a HOT update.
 *
 * A keyed event's ledger row is claimed first and its result written at the end of the batch. That
 * update could not be HOT while erasure's index was on `result ->> 'customerId'` (an indexed
 * expression over the updated column): every event paid a second row version on another page, and
 * new entries in the primary key and the customer index. The customer is now a column of its own,
 * `customer_id`, which the claim already carries (the customer the event names, or the one owner of
 * its identifiers); the result then changes no indexed column. A fillfactor of 30 keeps room on each
 * page for the results of the claims it holds (claim ~140 bytes, row with result ~300), so the new
 * version lands on the same page; pruning reclaims the claims' versions later.
 */
export class Migration20261206053000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "ingest_events" add column "customer_id" uuid null;`);
    this.addSql(`update "ingest_events" set "customer_id" = ("result" ->> 'customerId')::uuid where ("result" ->> 'customerId') is not null;`);
    this.addSql(`drop index "ingest_events_customer_idx";`);
    this.addSql(`create index "ingest_events_customer_idx" on "ingest_events" ("customer_id") where "customer_id" is not null;`);
    this.addSql(`alter table "ingest_events" set (fillfactor = 30);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ingest_events" reset (fillfactor);`);
    this.addSql(`drop index "ingest_events_customer_idx";`);
    this.addSql(`create index "ingest_events_customer_idx" on "ingest_events" ((result ->> 'customerId')) where (result ->> 'customerId') is not null;`);
    this.addSql(`alter table "ingest_events" drop column "customer_id";`);
  }

}
