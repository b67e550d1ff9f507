import { Migration } from '@mikro-orm/migrations';

export class Migration20261204211939 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ingest_events" ("source" text not null, "idempotency_key" text not null, "kind" text not null, "content_hash" text not null, "result" jsonb null, "created_at" timestamptz not null default now(), constraint "ingest_events_pkey" primary key ("source", "idempotency_key"));`);
    this.addSql(`create index "ingest_events_created_at_idx" on "ingest_events" ("created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ingest_events" cascade;`);
  }

}
