import { Field, InputType } from 'type-graphql';
import { ContactFrequency, PreferredChannel } from '../../entities/preference-enums';

@InputType('SetPreferencesInput', {
  description: 'Each kind given replaces that kind\'s stated set (an empty list clears it); kinds left out keep what they hold. At most 20 values of 100 characters per kind.',
})
export class SetPreferencesInput {
  @Field(() => [String], { nullable: true, description: 'Product categories (stored in lower case, as products are).' }) categories?: string[] | null;
  @Field(() => [String], { nullable: true }) brands?: string[] | null;
  @Field(() => [String], { nullable: true }) authors?: string[] | null;
  @Field(() => [PreferredChannel], { nullable: true, description: 'How the customer likes to be contacted. Consent still decides whether they may be.' }) channels?: PreferredChannel[] | null;
  @Field(() => ContactFrequency, { nullable: true, description: 'Explicit null clears it.' }) contactFrequency?: ContactFrequency | null;
  @Field(() => String, { nullable: true, description: 'Where the customer stated them; default "api".' }) source?: string | null;
}
