import { BigIntType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { Money } from '../schema/money';
import { Customer } from './customer.entity';
import { Order } from './order.entity';
import { Product } from './product.entity';

@ObjectType('OrderLine')
@Entity({ tableName: 'order_lines' })
@Unique({ name: 'order_lines_order_position_key', properties: ['order', 'position'] })
export class OrderLine {
  [OptionalProps]?: 'unitPrice' | 'lineTotal';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => Order, { fieldName: 'order_id', deleteRule: 'cascade' })
  order!: Order;

  /** 1-based position of the line in the order as it was sent. */
  @Field(() => Int)
  @Property({ type: 'smallint' })
  position!: number;

  /** Denormalised so every customer-owned row carries customer_id (co-location when sharding by customer). */
  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  @Index({ name: 'order_lines_customer_id_idx' })
  customer!: Customer;

  @ManyToOne(() => Product, { fieldName: 'product_id' })
  @Index({ name: 'order_lines_product_id_idx' })
  product!: Product;

  @Field(() => Int)
  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'integer' })
  unitPriceMinor!: number;

  @Property({ type: new BigIntType('number') })
  lineTotalMinor!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Field(() => Money)
  get unitPrice(): Money {
    return new Money(this.unitPriceMinor, this.currency);
  }

  @Field(() => Money)
  get lineTotal(): Money {
    return new Money(this.lineTotalMinor, this.currency);
  }
}
