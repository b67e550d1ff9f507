import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { Customer, Order, OrderLine, Product } from '../../entities';
import type { Context } from '../../context';
import { writableCustomerId } from '../../auth/access';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';
import { recordOrder } from '../../services/activity.service';
import { rightsOf } from '../../ingestion/rules';
import { RecordOrderInput } from './order.inputs';

@ObjectType('RecordOrderPayload')
export class RecordOrderPayload {
  @Field(() => Order) order!: Order;
  @Field(() => Boolean, { description: 'False when the same order (source + externalId) had already been recorded.' }) created!: boolean;
}

@Resolver(() => Order)
export class OrderResolver {
  @FieldResolver(() => Customer)
  async customer(@Root() order: Order, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(order.customer.id))!;
  }

  @FieldResolver(() => [OrderLine])
  lines(@Root() order: Order, @Ctx() ctx: Context): Promise<OrderLine[]> {
    return ctx.loaders.linesByOrder.load({ customerId: order.customer.id, parentId: order.id });
  }

  @Mutation(() => RecordOrderPayload, { description: 'Records an order with its lines; totals are computed here, in integer minor units.' })
  async recordOrder(@Arg('input', () => RecordOrderInput) input: RecordOrderInput, @Ctx() ctx: Context): Promise<RecordOrderPayload> {
    // A customer the caller may not see is not found, exactly as an unknown id (no existence oracle).
    await writableCustomerId(ctx, input.customerId, 'input.customerId');
    const result = await recordOrder(ctx.em, input, writeAudit(ctx, 'recordOrder'), {
      policy: ctx.config.mergePolicy, keyring: ctx.config.pseudonymKeys, rights: rightsOf(ctx.viewer!),
    });
    if (result.created) publishActivity(ctx, 'Order', result.order);
    return result;
  }
}

@Resolver(() => OrderLine)
export class OrderLineResolver {
  @FieldResolver(() => Product)
  async product(@Root() line: OrderLine, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(line.product.id))!;
  }
}
