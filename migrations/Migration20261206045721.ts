import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: index entries that no query reads, removed from the per-event
 * path (README "Event ingestion", Throughput).
 *
 * - `ingest_events_created_at_idx`: no statement reads the ledger by created_at (there is no ledger
 *   retention). Each event paid two entries for it: the claim and the non-HOT update with its result.
 * - `ingest_events_customer_idx` becomes partial (`result ->> 'customerId' is not null`): erasure's
 *   `where result ->> 'customerId' = any(…)` only ever matches rows that have one, and a claim (result
 *   still null) no longer writes a null entry.
 * - `outbox_events_customer_idx`: no statement reads the outbox by customer (the dispatcher, relay,
 *   matcher and pruning go by id and the partial pending indexes; the live resolver by id). It cost an
 *   entry at the insert and one more at each of the two consumers' (non-HOT) updates.
 * - `interactions_source_event_idx` duplicated the primary key of `interaction_event_keys`, which the
 *   claim trigger keeps in step with every interaction's (source, source_event_id); the lookups by
 *   sender's key now go through that table.
 * - `interaction_event_keys_occurred_at_idx`: no statement reads the key table by time (retention
 *   releases a dropped month's keys by joining the partition on the primary key).
 */
export class Migration20261206045721 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "ingest_events_created_at_idx";`);
    this.addSql(`drop index "ingest_events_customer_idx";`);
    this.addSql(`create index "ingest_events_customer_idx" on "ingest_events" ((result ->> 'customerId')) where (result ->> 'customerId') is not null;`);

    this.addSql(`drop index "outbox_events_customer_idx";`);

    this.addSql(`drop index "interactions_source_event_idx";`);
    this.addSql(`drop index "interaction_event_keys_occurred_at_idx";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "ingest_events_created_at_idx" on "ingest_events" ("created_at");`);
    this.addSql(`drop index "ingest_events_customer_idx";`);
    this.addSql(`create index "ingest_events_customer_idx" on "ingest_events" ((result ->> 'customerId'));`);

    this.addSql(`create index "interactions_source_event_idx" on "interactions" ("source", "source_event_id");`);
    this.addSql(`create index "interaction_event_keys_occurred_at_idx" on "interaction_event_keys" ("occurred_at");`);

    this.addSql(`create index "outbox_events_customer_idx" on "outbox_events" ("customer_id", "id");`);
  }

}
