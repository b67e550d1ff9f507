import { Entity, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';

/**
 * Identifiers of erased customers, kept only as SHA-256 digests of "kind:namespace:value", so that
 * the same person is not silently re-created by the next import while the identifier itself is gone.
 */
@Entity({ tableName: 'suppressed_identifiers' })
export class SuppressedIdentifier {
  [OptionalProps]?: 'suppressedAt';

  @PrimaryKey({ type: 'text' })
  digest!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  suppressedAt: Date = new Date();
}
