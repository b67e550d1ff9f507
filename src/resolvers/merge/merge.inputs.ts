import { Field, ID, InputType } from 'type-graphql';

@InputType('MergeCustomersInput')
export class MergeCustomersInput {
  @Field(() => ID, { description: 'The profile that remains; it receives every row of the other.' })
  survivorId!: string;

  @Field(() => ID, { description: 'The profile merged away: MERGED afterwards, pointing at the survivor.' })
  loserId!: string;

  @Field(() => String, { description: 'Why these are the same person (kept in the merge ledger), at most 500 characters.' })
  reason!: string;
}
