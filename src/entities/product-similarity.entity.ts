import { Entity, Index, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';

/**
 * Item-to-item cosine similarity over binary customer purchase vectors, the top K per product,
 * replaced wholesale by the analytics run (src/analytics/recommendations.ts). Derived data: no
 * foreign keys, so the bulk replace never waits on product locks; products are never deleted.
 */
@Entity({ tableName: 'product_similarities' })
export class ProductSimilarity {
  [OptionalProps]?: 'computedAt';

  @PrimaryKey({ type: 'uuid' })
  productId!: string;

  @PrimaryKey({ type: 'uuid' })
  similarProductId!: string;

  @Property({ type: 'double precision' })
  score!: number;

  @Property({ type: 'integer' })
  coBuyers!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  computedAt: Date = new Date();
}

/**
 * Distinct buyers per product (same inputs as the similarities): the recommendation fallback ranks
 * popular products of a category by it. The category is copied so that (category, buyers) is one
 * index range read backwards, instead of reading every product of the category per request.
 */
@Entity({ tableName: 'product_popularity' })
@Index({ name: 'product_popularity_category_buyers_idx', properties: ['category', 'buyers'] })
export class ProductPopularity {
  [OptionalProps]?: 'computedAt';

  @PrimaryKey({ type: 'uuid' })
  productId!: string;

  @Property({ type: 'text' })
  category!: string;

  @Property({ type: 'integer' })
  buyers!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  computedAt: Date = new Date();
}
