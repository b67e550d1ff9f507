import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Resolver, Root } from 'type-graphql';
import { ConsentRecord, Customer } from '../../entities';
import { ConsentChannel, ConsentPurpose, ConsentStatus, LawfulBasis } from '../../entities/enums';
import type { Context } from '../../context';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';
import { expectGlobalId } from '../../schema/global-id';
import { DateTimeScalar } from '../../schema/scalars';
import { setConsent } from '../../services/activity.service';

@InputType('SetConsentInput')
export class SetConsentInput {
  @Field(() => ID) customerId!: string;
  @Field(() => ConsentPurpose) purpose!: ConsentPurpose;
  @Field(() => ConsentChannel, { nullable: true, description: 'Default: ANY (the purpose on every channel).' }) channel?: ConsentChannel | null;
  @Field(() => ConsentStatus) status!: ConsentStatus;
  @Field(() => LawfulBasis, { nullable: true, description: 'Default: CONSENT.' }) lawfulBasis?: LawfulBasis | null;
  @Field(() => String, { description: 'Where the decision was captured, e.g. "preference_centre".' }) source!: string;
  @Field(() => String, { description: 'Version of the privacy policy the customer saw.' }) policyVersion!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the customer decided; default: now.' }) recordedAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'A grant for a limited time: from this instant it allows nothing (status in force `expired`). Only with GRANTED; after recordedAt. Default: no expiry.' }) expiresAt?: Date | null;
}

@Resolver(() => ConsentRecord)
export class ConsentResolver {
  @FieldResolver(() => Customer)
  async customer(@Root() record: ConsentRecord, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(record.customer.id))!;
  }

  @Mutation(() => ConsentRecord, { description: 'Appends a consent decision to the ledger. Records are never changed or deleted.' })
  async setConsent(@Arg('input', () => SetConsentInput) input: SetConsentInput, @Ctx() ctx: Context): Promise<ConsentRecord> {
    const record = await setConsent(ctx.em, { ...input, customerId: expectGlobalId(input.customerId, 'Customer', 'input.customerId') }, writeAudit(ctx, 'setConsent'));
    publishActivity(ctx, 'ConsentRecord', record);
    return record;
  }
}
