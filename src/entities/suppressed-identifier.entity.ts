import { Entity, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';

/**
 * Identifiers of erased customers, kept only as keyed digests (HMAC-SHA256 under a PSEUDONYM_KEYS key
 * of the SHA-256 of "kind:namespace:value", src/auth/pseudonyms.ts), so that the same person is not
 * silently re-created by the next import while the identifier itself is gone.
 */
@Entity({ tableName: 'suppressed_identifiers' })
export class SuppressedIdentifier {
  [OptionalProps]?: 'suppressedAt' | 'keyId';

  @PrimaryKey({ type: 'text' })
  digest!: string;

  /** Which key made the digest (Keyring ids); null: a plain SHA-256 from before keys, converted at start-up. */
  @Property({ type: 'text', nullable: true })
  keyId?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  suppressedAt: Date = new Date();
}
