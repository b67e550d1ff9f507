import { Field, Float, Int, ObjectType } from 'type-graphql';
import { PersonalizationUnavailableReason, PreferenceBasis } from '../../entities/preference-enums';

/** A customer's preferences: what they said, and what their behaviour suggests (consent permitting). */
@ObjectType('CustomerPreferences')
export class CustomerPreferences {
  constructor(readonly customerId: string) {}
}

@ObjectType('InferredPreference', { description: 'A category or brand the customer\'s purchases and product views point to (README "Preferences" for the formula).' })
export class InferredPreference {
  readonly customerId!: string;
  @Field(() => String) value!: string;
  @Field(() => Float, { description: 'Σ 3 × units bought + 1 per product view, each halved every 90 days; last 730 days.' }) score!: number;
  @Field(() => PreferenceBasis) basis!: PreferenceBasis;
  @Field(() => Int, { description: 'Units bought in the window (kept orders).' }) purchasedUnits!: number;
  @Field(() => Int, { description: 'Product views in the window.' }) views!: number;
}

@ObjectType('InferredPreferences', { description: 'Profiling output: computed only while the customer\'s consent grants PERSONALIZATION (ANY channel).' })
export class InferredPreferences {
  readonly customerId!: string;
  @Field(() => Boolean, { description: 'False when the lists are empty because personalisation is not allowed (see unavailableReason).' }) available!: boolean;
  @Field(() => PersonalizationUnavailableReason, { nullable: true }) unavailableReason!: PersonalizationUnavailableReason | null;
  @Field(() => [InferredPreference], { description: 'Top 5 categories, best first.' }) categories!: InferredPreference[];
  @Field(() => [InferredPreference], { description: 'Top 5 brands (or authors, makers), best first.' }) brands!: InferredPreference[];
}
