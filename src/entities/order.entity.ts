import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Money } from '../schema/money';
import { Customer } from './customer.entity';
import { OrderChannel, OrderStatus } from './enums';

@ObjectType('Order', { implements: Node })
@Entity({ tableName: 'orders' })
// currency, status and total_minor included: the analytics run's transaction summary reads this index only (Migration20261207010000)
@Index({
  name: 'orders_customer_placed_at_idx',
  expression: `create index "orders_customer_placed_at_idx" on "orders" ("customer_id", "placed_at", "id") include ("currency", "status", "total_minor")`,
})
@Unique({ name: 'orders_source_external_id_key', properties: ['source', 'externalId'] })
export class Order {
  [OptionalProps]?: 'globalId' | 'subtotal' | 'discount' | 'total' | 'createdAt' | 'status' | 'source' | 'offerId' | 'campaignId';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Order', this.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  /** The order number in the source system; with `source`, makes recording an order idempotent. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  externalId?: string | null;

  @Field(() => String)
  @Property({ type: 'text', default: 'api' })
  source: string = 'api';

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  placedAt!: Date;

  @Field(() => OrderChannel)
  @Enum({ items: () => OrderChannel })
  channel!: OrderChannel;

  @Field(() => OrderStatus)
  @Enum({ items: () => OrderStatus, default: OrderStatus.PLACED })
  status: OrderStatus = OrderStatus.PLACED;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Property({ type: new BigIntType('number') })
  subtotalMinor!: number;

  @Property({ type: new BigIntType('number'), default: 0 })
  discountMinor: number = 0;

  @Property({ type: new BigIntType('number') })
  totalMinor!: number;

  @Field(() => Money)
  get subtotal(): Money {
    return new Money(this.subtotalMinor, this.currency);
  }

  @Field(() => Money)
  get discount(): Money {
    return new Money(this.discountMinor, this.currency);
  }

  @Field(() => Money)
  get total(): Money {
    return new Money(this.totalMinor, this.currency);
  }

  /** The offer whose code was used at checkout: the order counts for it (and its campaign) whatever else the customer saw. */
  @Property({ type: 'uuid', nullable: true })
  offerId?: string | null;

  /** The campaign named at checkout (directly, or through the offer): direct attribution, which always wins. */
  @Property({ type: 'uuid', nullable: true })
  campaignId?: string | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
