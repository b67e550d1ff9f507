import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { Customer, Product } from '../../entities';
import type { Context } from '../../context';
import { checkFirst } from '../../services/pagination';
import { MAX_RECOMMENDATIONS, explain } from '../../services/recommendations.service';
import { CustomerRecommendations, Recommendation, SimilarProduct } from './recommendations.types';

@Resolver(() => Customer)
export class CustomerRecommendationsFieldResolver {
  @FieldResolver(() => CustomerRecommendations, { description: `Products for this customer, best first (at most ${MAX_RECOMMENDATIONS}).` })
  async recommendations(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<CustomerRecommendations> {
    const r = await ctx.loaders.recommendations.load({ customerId: customer.id, first: checkFirst(first, MAX_RECOMMENDATIONS) });
    return {
      customerId: customer.id,
      available: r.unavailableReason === null,
      unavailableReason: r.unavailableReason,
      items: r.items.map((i) => ({
        customerId: customer.id, productId: i.productId, becauseProductId: i.becauseProductId,
        score: i.score, source: i.source, becauseCategory: i.becauseCategory, explanation: explain(i),
      })),
    };
  }
}

@Resolver(() => Recommendation)
export class RecommendationResolver {
  @FieldResolver(() => Product)
  async product(@Root() r: Recommendation, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(r.productId))!;
  }

  @FieldResolver(() => Product, { nullable: true, description: 'CO_PURCHASE: the product bought that contributes most to this one.' })
  because(@Root() r: Recommendation, @Ctx() ctx: Context): Promise<Product | null> | null {
    return r.becauseProductId ? ctx.loaders.productById.load(r.becauseProductId) : null;
  }
}

@Resolver(() => Product)
export class ProductAlsoBoughtResolver {
  @FieldResolver(() => [SimilarProduct], { description: `Customers who bought this also bought: best first (at most ${MAX_RECOMMENDATIONS}), from the last analytics run.` })
  async alsoBought(
    @Root() product: Product,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<SimilarProduct[]> {
    const rows = await ctx.loaders.alsoBought.load({ productId: product.id, first: checkFirst(first, MAX_RECOMMENDATIONS) });
    return rows.map((r) => ({ productId: r.similarProductId, score: r.score, coBuyers: r.coBuyers }));
  }
}

@Resolver(() => SimilarProduct)
export class SimilarProductResolver {
  @FieldResolver(() => Product)
  async product(@Root() s: SimilarProduct, @Ctx() ctx: Context): Promise<Product> {
    return (await ctx.loaders.productById.load(s.productId))!;
  }
}
