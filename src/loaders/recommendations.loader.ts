import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { alsoBought, recommendFor, type RecommendationResult, type SimilarProductRow } from '../services/recommendations.service';

export interface RecommendationKey {
  customerId: string;
  first: number;
}

export interface AlsoBoughtKey {
  productId: string;
  first: number;
}

/** Keyed by (id, first): a list asking different sizes still costs one statement (the largest is fetched, each key sliced). */
export function createRecommendationLoaders(em: EntityManager) {
  return {
    recommendations: new DataLoader<RecommendationKey, RecommendationResult, string>((keys) => recommendFor(em, keys), {
      cacheKeyFn: (k) => `${k.customerId}|${k.first}`,
    }),
    alsoBought: new DataLoader<AlsoBoughtKey, SimilarProductRow[], string>((keys) => alsoBought(em, keys), {
      cacheKeyFn: (k) => `${k.productId}|${k.first}`,
    }),
  };
}
