import { Migration } from '@mikro-orm/migrations';

export class Migration20261205200406 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "ingest_events_customer_idx" on "ingest_events" ((result ->> 'customerId'));`);

    this.addSql(`alter table "suppressed_identifiers" add column "key_id" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "ingest_events_customer_idx";`);

    this.addSql(`alter table "suppressed_identifiers" drop column "key_id";`);
  }

}
