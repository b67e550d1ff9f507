import { Field, InputType } from 'type-graphql';
import { ConsentChannel, ConsentPurpose, ConsentStatus } from '../../entities/enums';

@InputType('ConsentFilter', { description: 'Matches the consent in force: the newest record for the channel or for ANY channel.' })
export class ConsentFilter {
  @Field(() => ConsentPurpose) purpose!: ConsentPurpose;
  @Field(() => ConsentChannel, { defaultValue: ConsentChannel.ANY }) channel!: ConsentChannel;
  @Field(() => ConsentStatus, { defaultValue: ConsentStatus.GRANTED }) status!: ConsentStatus;
}
