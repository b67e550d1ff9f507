import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar, EmailAddressScalar, JSONObjectScalar, LocalDateScalar } from '../schema/scalars';
import { CustomerStatus } from './enums';

export type FieldProvenanceMap = Record<string, { source: string; at: string }>;

@ObjectType('PostalAddress')
export class PostalAddress {
  @Field(() => String, { nullable: true }) line1?: string | null;
  @Field(() => String, { nullable: true }) line2?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' }) country?: string | null;
}

/**
 * The customer profile. Contact fields (names, email, phone, birth date, address) are personal data:
 * each has its own permission rule.
 */
@ObjectType('Customer', { implements: Node })
@Entity({ tableName: 'customers' })
@Index({ name: 'customers_created_at_id_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'customers_last_seen_at_id_idx', properties: ['lastSeenAt', 'id'] })
export class Customer {
  [OptionalProps]?: 'globalId' | 'status' | 'traits' | 'fieldProvenance' | 'createdAt' | 'updatedAt' | 'firstSeenAt' | 'lastSeenAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Customer', this.id);
  }

  @Field(() => CustomerStatus)
  @Enum({ items: () => CustomerStatus, default: CustomerStatus.ACTIVE })
  status: CustomerStatus = CustomerStatus.ACTIVE;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  lastName?: string | null;

  /** Primary email, normalised (trimmed, lower case). Also present as an EMAIL identity. */
  @Field(() => EmailAddressScalar, { nullable: true })
  @Property({ type: 'text', nullable: true })
  @Index({ name: 'customers_email_idx' })
  email?: string | null;

  /** Primary phone in E.164. Also present as a PHONE identity. */
  @Field(() => String, { nullable: true, description: 'Primary phone number in E.164 format.' })
  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  @Property({ type: 'date', nullable: true })
  birthDate?: string | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. en-GB.' })
  @Property({ type: 'text', nullable: true })
  locale?: string | null;

  @Field(() => PostalAddress, { nullable: true })
  @Property({ type: 'json', nullable: true })
  address?: PostalAddress | null;

  @Field(() => JSONObjectScalar, { description: 'Free-form attributes from source systems.' })
  @Property({ type: 'json', defaultRaw: "'{}'::jsonb" })
  traits: Record<string, unknown> = {};

  /**
   * Where each profile value came from: field name (or `traits.<key>`) → { source, at }. Written by
   * upsertCustomer, read by merge survivorship (README "Identity resolution and merges").
   */
  @Property({ type: 'json', defaultRaw: "'{}'::jsonb" })
  fieldProvenance: FieldProvenanceMap = {};

  /** Set when status is MERGED: the survivor this profile was merged into. */
  @ManyToOne(() => Customer, { nullable: true, fieldName: 'merged_into_id', deleteRule: 'set null' })
  mergedInto?: Customer | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  firstSeenAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  lastSeenAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
