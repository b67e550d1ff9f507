import { Entity, PrimaryKey, Property, Unique, Index, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Money } from '../schema/money';

@ObjectType('Product', { implements: Node })
@Entity({ tableName: 'products' })
export class Product {
  [OptionalProps]?: 'globalId' | 'price' | 'createdAt' | 'brand';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Product', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  @Unique({ name: 'products_sku_key' })
  sku!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  @Index({ name: 'products_category_idx' })
  category!: string;

  @Field(() => String, { nullable: true, description: 'Brand, author or maker.' })
  @Property({ type: 'text', nullable: true })
  brand?: string | null;

  @Property({ type: 'integer' })
  priceMinor!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  /** What one unit costs the business, in minor units of `currency`; optional. For margin CLV only: not on the graph (business-confidential, and products are public). */
  @Property({ type: 'integer', nullable: true })
  unitCostMinor?: number | null;

  @Field(() => Money)
  get price(): Money {
    return new Money(this.priceMinor, this.currency);
  }

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
