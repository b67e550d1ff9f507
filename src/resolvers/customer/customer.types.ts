import { Field, ID, ObjectType } from 'type-graphql';
import { IgnoredIdentifier } from '../merge/merge.types';
import { ConnectionType } from '../../schema/connection';
import { Customer } from '../../entities';
import { Order } from '../../entities/order.entity';
import { Interaction } from '../../entities/interaction.entity';
import { Feedback } from '../../entities/feedback.entity';
import { ConsentRecord } from '../../entities/consent-record.entity';

export const CustomerConnection = ConnectionType(Customer, 'Customer');
export const OrderConnection = ConnectionType(Order, 'Order');
export const InteractionConnection = ConnectionType(Interaction, 'Interaction');
export const FeedbackConnection = ConnectionType(Feedback, 'Feedback');
export const ConsentRecordConnection = ConnectionType(ConsentRecord, 'ConsentRecord');

@ObjectType('UpsertCustomerPayload')
export class UpsertCustomerPayload {
  @Field(() => Customer) customer!: Customer;
  @Field(() => Boolean, { description: 'True when no existing customer matched and a new profile was created.' }) created!: boolean;
  @Field(() => [ID], { description: 'Profiles this write merged into `customer` because its identifiers linked them (README "Identity resolution and merges").' })
  mergedCustomerIds!: string[];
  @Field(() => [IgnoredIdentifier], { description: 'Identifiers that were neither stored nor matched (junk values on the merge policy blocklist).' })
  ignoredIdentifiers!: IgnoredIdentifier[];
}

/** A customer's consent: the decision in force per purpose and channel, and the full ledger behind it. */
@ObjectType('CustomerConsents')
export class CustomerConsents {
  constructor(readonly customerId: string) {}
}
