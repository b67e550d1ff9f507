import { Entity, Index, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';

/**
 * Who read which personal-data fields of which customer, and every privileged write. Holds ids and
 * field names only, never values, so it survives erasure without keeping personal data.
 */
@ObjectType('AuditEntry')
@Entity({ tableName: 'audit_log' })
@Index({ name: 'audit_log_customer_at_idx', properties: ['customerId', 'at'] })
@Index({ name: 'audit_log_at_idx', properties: ['at', 'id'] })
@Index({
  name: 'audit_log_customer_ids_idx',
  expression: `create index "audit_log_customer_ids_idx" on "audit_log" using gin ("customer_ids") where "customer_ids" is not null`,
})
export class AuditEntry {
  [OptionalProps]?: 'globalId' | 'customerGlobalId' | 'customerGlobalIds' | 'at' | 'fields' | 'customerId' | 'customerIds' | 'apiKeyId' | 'operation';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('AuditEntry', this.id);
  }

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at: Date = new Date();

  @Field(() => String)
  @Property({ type: 'text' })
  requestId!: string;

  @Field(() => String, { description: 'JWT subject or API key name.' })
  @Property({ type: 'text' })
  actor!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  role!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'uuid', nullable: true })
  apiKeyId?: string | null;

  @Field(() => String, { description: 'READ of personal data, or WRITE.' })
  @Property({ type: 'text' })
  action!: string;

  @Field(() => String, { nullable: true, description: 'The GraphQL operation (mutation field for writes).' })
  @Property({ type: 'text', nullable: true })
  operation?: string | null;

  /** Raw uuid; the graph exposes it as a Customer global id. */
  @Property({ type: 'uuid', nullable: true })
  customerId?: string | null;

  @Field(() => ID, { nullable: true, name: 'customerId', description: 'Global id of the customer concerned (null for a batch write of several customers: see customerIds).' })
  get customerGlobalId(): string | null {
    return this.customerId ? toGlobalId('Customer', this.customerId) : null;
  }

  /** Raw uuids, sorted: every customer one batch write (ingestEvents, the import) wrote to, when it wrote to several. */
  @Property({ type: 'uuid[]', nullable: true })
  customerIds?: string[] | null;

  @Field(() => [ID], { name: 'customerIds', description: 'Global ids of every customer concerned: the one of customerId, or all those a batch write (ingestEvents, the import) wrote to in one entry.' })
  get customerGlobalIds(): string[] {
    return this.customerIds?.length ? this.customerIds.map((id) => toGlobalId('Customer', id)) : this.customerId ? [toGlobalId('Customer', this.customerId)] : [];
  }

  @Field(() => [String])
  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  fields: string[] = [];
}
