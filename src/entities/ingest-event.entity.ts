import { Entity, Index, PrimaryKeyProp, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';

/** What an accepted event produced, as database ids; a replay answers with it. */
export interface IngestEventOutcome {
  status: 'ACCEPTED' | 'DUPLICATE';
  customerId: string | null;
  interactionId?: string | null;
  orderId?: string | null;
}

/**
 * The idempotency ledger of ingestEvents: one row per (source, idempotency key) that was stored.
 * The row is claimed first in the batch's transaction, so a concurrent replay of the same key waits
 * on it and then answers from it; `content_hash` tells a replay from a different event under the
 * same key. Rejected events leave no row: a corrected resend is evaluated afresh.
 */
@Entity({ tableName: 'ingest_events' })
// Erasure finds the rows of the customers it erases (partial: an event of a person not known at its
// claim has no entry until its result). No query reads created_at, so it has no index.
@Index({
  name: 'ingest_events_customer_idx',
  expression: `create index "ingest_events_customer_idx" on "ingest_events" ("customer_id") where "customer_id" is not null`,
})
export class IngestEvent {
  [PrimaryKeyProp]?: ['source', 'idempotencyKey'];
  [OptionalProps]?: 'result' | 'createdAt' | 'customerId';

  @PrimaryKey({ type: 'text' })
  source!: string;

  @PrimaryKey({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  kind!: string;

  /** SHA-256 (hex) of the event's normalised content. */
  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'jsonb', nullable: true })
  result: IngestEventOutcome | null = null;

  /**
   * result.customerId, as a column of its own: claimed with the customer the event names (or whose
   * identifiers it names), so that writing the result changes no indexed column and is a HOT update
   * where its page has room (the ledger's fillfactor leaves 10% for the few rows still updated,
   * Migration20261206140000).
   */
  @Property({ type: 'uuid', nullable: true })
  customerId: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
