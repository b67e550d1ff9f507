import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { PreferenceKind } from './preference-enums';

/**
 * One value a customer stated as a preference (a favourite category, brand or author, a preferred
 * channel, a contact frequency). The stated set per kind is replaced as a whole by setPreferences;
 * a value kept across replacements keeps its original statedAt.
 */
@ObjectType('StatedPreference')
@Entity({ tableName: 'customer_preferences' })
@Unique({ name: 'customer_preferences_customer_kind_value_key', properties: ['customer', 'kind', 'value'] })
export class CustomerPreference {
  [OptionalProps]?: 'statedAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => PreferenceKind)
  @Enum({ items: () => PreferenceKind })
  kind!: PreferenceKind;

  @Field(() => String, { description: 'Categories are lower case (as products store them); channels and frequencies are the enum values in lower case.' })
  @Property({ type: 'text' })
  value!: string;

  @Field(() => String, { description: 'Where the customer stated it, e.g. "preference_centre".' })
  @Property({ type: 'text' })
  source!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  statedAt: Date = new Date();
}
