import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { IdentityKind } from './enums';

/** One way of recognising a customer in one source: (kind, namespace, normalised value) is unique. */
@ObjectType('Identity')
@Entity({ tableName: 'identities' })
@Unique({ name: 'identities_kind_namespace_value_key', properties: ['kind', 'namespace', 'value'] })
export class Identity {
  [OptionalProps]?: 'namespace' | 'createdAt' | 'source';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => Customer, { fieldName: 'customer_id', deleteRule: 'cascade' })
  @Index({ name: 'identities_customer_id_idx' })
  customer!: Customer;

  @Field(() => IdentityKind)
  @Enum({ items: () => IdentityKind })
  kind!: IdentityKind;

  /** Source system for external/CRM ids ('shopify', 'zendesk'…); '' for globally meaningful kinds. */
  @Field(() => String)
  @Property({ type: 'text', default: '' })
  namespace: string = '';

  @Field(() => String, { description: 'Normalised value: lower-case email, E.164 phone, or the id as given.' })
  @Property({ type: 'text' })
  value!: string;

  @Field(() => String)
  @Property({ type: 'text', default: 'api' })
  source: string = 'api';

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
