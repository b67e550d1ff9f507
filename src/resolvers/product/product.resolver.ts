import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Product } from '../../entities';
import type { Context } from '../../context';
import { writeAudit } from '../common/audit';
import { fromGlobalId } from '../../schema/global-id';
import { ConnectionType, toConnection } from '../../schema/connection';
import { CurrencyScalar, NonNegativeIntScalar } from '../../schema/scalars';
import { checkFirst, decodeCursor } from '../../services/pagination';
import { listProducts, upsertProduct } from '../../services/product.service';

export const ProductConnection = ConnectionType(Product, 'Product');

@InputType('UpsertProductInput', { description: 'Creates the product with this sku, or updates it.' })
export class UpsertProductInput {
  @Field(() => String) sku!: string;
  @Field(() => String) name!: string;
  @Field(() => String) category!: string;
  @Field(() => String, { nullable: true }) brand?: string | null;
  @Field(() => NonNegativeIntScalar, { description: 'List price in minor units.' }) priceMinor!: number;
  @Field(() => CurrencyScalar) currency!: string;
  @Field(() => NonNegativeIntScalar, { nullable: true, description: 'What one unit costs, in minor units of `currency` (for margin CLV; never shown on the graph). Omitted: none.' })
  unitCostMinor?: number | null;
}

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => Product, { nullable: true })
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Product | null> | null {
    const parsed = fromGlobalId(id);
    return parsed?.type === 'Product' ? ctx.loaders.productById.load(parsed.id) : null;
  }

  @Query(() => ProductConnection, { description: 'The catalogue, ordered by sku.' })
  async products(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('category', () => String, { nullable: true }) category: string | null,
    @Ctx() ctx: Context,
  ) {
    return toConnection(await listProducts(ctx.em, { first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), category }));
  }

  @Mutation(() => Product)
  upsertProduct(@Arg('input', () => UpsertProductInput) input: UpsertProductInput, @Ctx() ctx: Context): Promise<Product> {
    return upsertProduct(ctx.em, input, writeAudit(ctx, 'upsertProduct'));
  }
}
