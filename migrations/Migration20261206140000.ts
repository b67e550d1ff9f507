import { Migration } from '@mikro-orm/migrations';

/**
 * ingestEvents write cost, issue #20: the ledger's fillfactor back from 30 to 90.
 *
 * Migration20261206053000 left 70% of every page of `ingest_events` empty so that the result written
 * at the end of a batch could land next to its claim (a HOT update). Since then the claim already
 * carries the result an interaction will get (ingestion/core.ts, step 1): most rows are written once
 * and never updated, and a third of a page per row of ~300 bytes made the ledger ~3× the pages (and
 * the WAL's full-page images, and the relation extensions under concurrent batches) it needs. The
 * rows still updated - orders, new people, replays decided otherwise, ~7% of the bench's mix - find
 * room in the 10% left free: ~2 updated rows of ~300 bytes per 8 kB page. Pages already written keep
 * their layout; new pages are filled to 90%.
 */
export class Migration20261206140000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "ingest_events" set (fillfactor = 90);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ingest_events" set (fillfactor = 30);`);
  }

}
