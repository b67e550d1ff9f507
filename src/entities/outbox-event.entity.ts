import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One domain change, written by PostgreSQL triggers in the transaction that made it (README
 * "Webhooks", "The outbox"). Ids and kinds only, never personal data: a receiver reads the details
 * through the API under its own rights. `id` is a bigint identity: strictly increasing in the order
 * rows were written; `dispatched_at` is set once the dispatcher has fanned the row out to the
 * webhook deliveries, in the same transaction as those deliveries - or when the row is written, if
 * no endpoint subscribes to its type (the ingestion path's writers, Migration20261206164500).
 */
@Entity({ tableName: 'outbox_events' })
// What the dispatcher has still to fan out: small however long the table grows.
@Index({ name: 'outbox_events_pending_idx', expression: 'create index "outbox_events_pending_idx" on "outbox_events" ("id") where "dispatched_at" is null' })
// What the trigger matcher has still to match.
@Index({ name: 'outbox_events_unmatched_idx', expression: 'create index "outbox_events_unmatched_idx" on "outbox_events" ("id") where "triggers_matched_at" is null' })
// What the live relay has still to publish to customerActivity subscribers (src/live/outbox-relay.ts).
@Index({
  name: 'outbox_events_live_pending_idx',
  expression: `create index "outbox_events_live_pending_idx" on "outbox_events" ("id") where "live_relayed_at" is null and "type" in ('segment.entered', 'segment.exited', 'lifecycle.changed')`,
})
export class OutboxEvent {
  [OptionalProps]?: 'occurredAt' | 'dispatchedAt' | 'liveRelayedAt' | 'triggersMatchedAt' | 'customerId' | 'subjectId' | 'data';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'uuid', nullable: true })
  customerId?: string | null;

  /** The order, interaction, feedback, segment, merge… the event is about (besides the customer). */
  @Property({ type: 'uuid', nullable: true })
  subjectId?: string | null;

  /** Kinds and states (channel, type, purpose, status, from/to stage): never names, addresses or text. */
  @Property({ type: 'jsonb', defaultRaw: `'{}'::jsonb` })
  data: Record<string, unknown> = {};

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  occurredAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  dispatchedAt?: Date | null;

  /**
   * Set once the live relay has handed a segment or lifecycle event to customerActivity subscribers
   * (the second consumer of the outbox; other types never need it). Pruning waits for it.
   */
  @Property({ type: 'timestamptz', nullable: true })
  liveRelayedAt?: Date | null;

  /** Set once the trigger matcher has matched the row against every trigger (README "Triggers"). */
  @Property({ type: 'timestamptz', nullable: true })
  triggersMatchedAt?: Date | null;
}
