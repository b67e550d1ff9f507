import { Entity, Index, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';

/**
 * A partner credential. Only a SHA-256 digest of the secret is stored (the secret is 256 random bits,
 * so a slow hash adds nothing); the secret is shown once, at creation.
 */
@ObjectType('ApiKey')
@Entity({ tableName: 'api_keys' })
export class ApiKey {
  [OptionalProps]?: 'globalId' | 'createdAt' | 'revokedAt' | 'lastUsedAt' | 'expiresAt' | 'previousSecretHash' | 'previousSecretExpiresAt' | 'rotatedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('ApiKey', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  /** The public part of the key (`rpk_<prefix>_…`), for lookup and for recognising a key in logs. */
  @Field(() => String)
  @Property({ type: 'text' })
  @Unique({ name: 'api_keys_prefix_key' })
  prefix!: string;

  @Property({ type: 'text', hidden: true })
  secretHash!: string;

  @Field(() => [String])
  @Property({ type: 'text[]' })
  scopes!: string[];

  @Field(() => String)
  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  @Index({ name: 'api_keys_revoked_at_idx' })
  revokedAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  // rotateApiKey: the secret before the last rotation, accepted until previousSecretExpiresAt (the
  // grace period a partner needs to roll the new secret out). Null when rotated without grace.
  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecretHash?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  rotatedAt?: Date | null;
}
