import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk writers claim interaction event keys themselves, issue #20 (the import's fast path).
 *
 * `rapport_interactions_claim_key` (Migration20261205230000) claims an interaction's
 * (source, source_event_id) in `interaction_event_keys` with one INSERT … ON CONFLICT per row: about
 * half of PostgreSQL's work in a COPY of interactions (25,000 rows: ~1.5-2.5 s with it, ~0.7-1.2 s
 * without it plus ~0.15 s for one set-based INSERT of the same keys, measured on the shared machine).
 * A writer that has already claimed every key of its statement - the import's fast path COPies the
 * key rows itself, in the same savepoint, where a key claimed before fails the COPY with a unique
 * violation instead of skipping the row - says so with the transaction-local setting
 * `rapport.event_keys_claimed = on` (set_config(…, true): gone at the end of the transaction, and at a
 * rollback to a savepoint taken before it), and the trigger does not run for its rows. Every other
 * writer is unchanged.
 */
export class Migration20261206110000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop trigger "rapport_interactions_claim_key" on "interactions";`);
    this.addSql(`create trigger "rapport_interactions_claim_key" before insert on "interactions" for each row
      when (new.source_event_id is not null and current_setting('rapport.event_keys_claimed', true) is distinct from 'on')
      execute function "rapport_interactions_claim_key"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "rapport_interactions_claim_key" on "interactions";`);
    this.addSql(`create trigger "rapport_interactions_claim_key" before insert on "interactions" for each row when (new.source_event_id is not null) execute function "rapport_interactions_claim_key"();`);
  }

}
