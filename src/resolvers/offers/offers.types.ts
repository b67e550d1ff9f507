import { Field, Float, ObjectType } from 'type-graphql';
import { Offer } from '../../entities';
import { Money } from '../../schema/money';

/** One ranked offer for one customer (customer-owned: its numbers describe that person). */
@ObjectType('NextBestOffer')
export class NextBestOffer {
  /** The customer it was ranked for: object-level access is checked against it. */
  customer!: { id: string };
  @Field(() => Offer) offer!: Offer;
  @Field(() => Float, { description: 'The ranking key: expected value in minor units of the offer currency.' }) score!: number;
  @Field(() => Money, { description: 'P(accept) × value, rounded to a minor unit.' }) expectedValue!: Money;
  @Field(() => Float, { description: 'Estimated probability that this customer accepts (README "Offers and next-best offer").' }) pAccept!: number;
  @Field(() => String, { description: 'Why it ranks where it does, in a few words.' }) reason!: string;
}
