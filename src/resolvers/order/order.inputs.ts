import { Field, ID, InputType } from 'type-graphql';
import { OrderChannel, OrderStatus } from '../../entities/enums';
import { CurrencyScalar, DateTimeScalar, NonNegativeIntScalar, PositiveIntScalar } from '../../schema/scalars';

@InputType('OrderLineInput', { description: 'Name the product by productId or by sku (exactly one).' })
export class OrderLineInput {
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => String, { nullable: true }) sku?: string | null;
  @Field(() => PositiveIntScalar) quantity!: number;
  @Field(() => NonNegativeIntScalar, { nullable: true, description: "Minor units; default: the product's list price (same currency only)." })
  unitPriceMinor?: number | null;
}

/** What every order write carries (recordOrder, ingestEvents' ORDER events). */
@InputType('OrderFieldsInput')
export abstract class OrderFieldsInput {
  @Field(() => DateTimeScalar) placedAt!: Date;
  @Field(() => OrderChannel) channel!: OrderChannel;
  @Field(() => OrderStatus, { nullable: true }) status?: OrderStatus | null;
  @Field(() => CurrencyScalar) currency!: string;
  @Field(() => NonNegativeIntScalar, { nullable: true }) discountMinor?: number | null;
  @Field(() => [OrderLineInput], { description: '1 to 500 lines.' }) lines!: OrderLineInput[];
}

@InputType('RecordOrderInput')
export class RecordOrderInput extends OrderFieldsInput {
  @Field(() => ID) customerId!: string;
  @Field(() => String, { nullable: true, description: 'Order number in the source system; makes the call idempotent per source.' }) externalId?: string | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => String, { nullable: true, description: 'A code used at checkout: an offer code, else a campaign code. The order then counts for it directly (README "Campaign insights").' })
  promoCode?: string | null;
}
