import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { ConsentChannel, ConsentPurpose, ConsentStatus, LawfulBasis } from './enums';

/**
 * Append-only consent ledger (a trigger rejects UPDATE and DELETE). The current state of a
 * (customer, purpose, channel) is its newest decision: the highest `recordedAt`, then `seq`.
 */
/**
 * SQL ORDER BY terms that put a (customer, purpose, channel)'s record in force first, as
 * rapport_consent_status orders them (Migration20261206170000): `alias` qualifies the columns.
 */
export const consentInForceOrder = (alias?: string): string => {
  const p = alias ? `${alias}.` : '';
  return `${p}recorded_at desc, ${p}seq desc`;
};

@ObjectType('ConsentRecord', { implements: Node })
@Entity({ tableName: 'consent_records' })
// In the in-force order (consentInForceOrder), so the loader's and the planner's DISTINCT ON and
// rapport_consent_status read each (customer, purpose, channel)'s record in force first (Migration20261206193000).
@Index({ name: 'consent_records_current_idx', expression: `create index "consent_records_current_idx" on "consent_records" ("customer_id", "purpose", "channel", "recorded_at" desc, "seq" desc)` })
// Time-limited grants by expiry: the lapse sweep's range scan (Migration20261206220000).
@Index({ name: 'consent_records_expires_at_idx', expression: `create index "consent_records_expires_at_idx" on "consent_records" ("expires_at") where "expires_at" is not null` })
export class ConsentRecord {
  [OptionalProps]?: 'globalId' | 'recordedAt' | 'seq' | 'lawfulBasis' | 'expiresAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('ConsentRecord', this.id);
  }

  /** Insertion order; breaks ties between records of the same instant. */
  @Property({ type: 'bigint', autoincrement: true, hidden: true })
  seq?: string;

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => ConsentPurpose)
  @Enum({ items: () => ConsentPurpose })
  purpose!: ConsentPurpose;

  @Field(() => ConsentChannel)
  @Enum({ items: () => ConsentChannel })
  channel!: ConsentChannel;

  @Field(() => ConsentStatus)
  @Enum({ items: () => ConsentStatus })
  status!: ConsentStatus;

  @Field(() => LawfulBasis)
  @Enum({ items: () => LawfulBasis, default: LawfulBasis.CONSENT })
  lawfulBasis: LawfulBasis = LawfulBasis.CONSENT;

  @Field(() => String, { description: 'Where the decision was captured (preference_centre, checkout, support…).' })
  @Property({ type: 'text' })
  source!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  policyVersion!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  recordedAt: Date = new Date();

  /**
   * A grant given for a limited time (a campaign, a policy that asks again every N months): from this
   * instant the consent in force is `expired` (rapport_consent_status), which allows nothing.
   */
  @Field(() => DateTimeScalar, { nullable: true, description: 'A grant given for a limited time lapses at this instant (UTC): from then on the consent in force is expired and allows nothing. Null: no expiry.' })
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;
}
