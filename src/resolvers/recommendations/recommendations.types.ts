import { Field, Float, Int, ObjectType } from 'type-graphql';
import { PersonalizationUnavailableReason, RecommendationSource } from '../../entities/preference-enums';

@ObjectType('Recommendation')
export class Recommendation {
  readonly customerId!: string;
  readonly productId!: string;
  readonly becauseProductId!: string | null;
  @Field(() => Float, { description: 'CO_PURCHASE: Σ cosine similarity to the products bought. POPULAR_IN_CATEGORY: category share × popularity (0–1).' }) score!: number;
  @Field(() => RecommendationSource) source!: RecommendationSource;
  @Field(() => String, { nullable: true, description: 'POPULAR_IN_CATEGORY: the inferred category it comes from.' }) becauseCategory!: string | null;
  @Field(() => String, { description: 'For people: "Because you bought X" or "Popular in X, a category you have shown interest in".' }) explanation!: string;
}

@ObjectType('CustomerRecommendations', { description: 'Personalisation: computed only while the customer\'s consent grants PERSONALIZATION (ANY channel).' })
export class CustomerRecommendations {
  readonly customerId!: string;
  @Field(() => Boolean, { description: 'False when items is empty because personalisation is not allowed (see unavailableReason).' }) available!: boolean;
  @Field(() => PersonalizationUnavailableReason, { nullable: true }) unavailableReason!: PersonalizationUnavailableReason | null;
  @Field(() => [Recommendation], { description: 'Best first; never a product the customer has ordered.' }) items!: Recommendation[];
}

@ObjectType('SimilarProduct', { description: 'Item-to-item cosine similarity over co-purchases (README "Recommendations").' })
export class SimilarProduct {
  readonly productId!: string;
  @Field(() => Float, { description: '|buyers(a) ∩ buyers(b)| / sqrt(|buyers(a)| · |buyers(b)|), 0–1.' }) score!: number;
  @Field(() => Int, { description: 'Distinct customers who bought both (at least 2).' }) coBuyers!: number;
}
