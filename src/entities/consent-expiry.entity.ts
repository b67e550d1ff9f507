import { Entity, Index, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';

/**
 * Time-limited grants whose lapse has been handled (Migration20261206220000, src/outbound/consent-expiry.ts):
 * announced as `consent.changed` where the grant was still the consent in force. Written and pruned only by
 * rapport_announce_consent_expiries and the consent_records insert trigger; a record id and instants only.
 */
@Entity({ tableName: 'consent_expiries', comment: 'Time-limited grants whose expiry has been handled (announced as consent.changed where it changed the consent in force). Migration20261206220000.' })
@Index({ name: 'consent_expiries_expires_at_idx', properties: ['expiresAt'] })
export class ConsentExpiry {
  [OptionalProps]?: 'handledAt';

  @PrimaryKey({ type: 'uuid' })
  consentRecordId!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  handledAt: Date = new Date();

  /** false: the grant had been replaced by a newer decision before it lapsed (nothing in force changed). */
  @Property({ type: 'boolean' })
  announced!: boolean;
}
