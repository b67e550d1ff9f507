import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Customer, PostalAddress } from '../../entities/customer.entity';
import { CustomerMerge } from '../../entities/customer-merge.entity';
import { IdentityKind } from '../../entities/enums';
import { DateTimeScalar, EmailAddressScalar, JSONObjectScalar, LocalDateScalar } from '../../schema/scalars';

export enum MergeSide {
  SURVIVOR = 'survivor',
  LOSER = 'loser',
}
registerEnumType(MergeSide, { name: 'MergeSide' });

@ObjectType('MergeMove', { description: 'Rows of one customer-owned table that a merge moved.' })
export class MergeMove {
  @Field(() => String) table!: string;
  @Field(() => Int) rows!: number;
}

@ObjectType('FieldProvenance', { description: 'Where a profile value came from: the source that wrote it and when.' })
export class FieldProvenance {
  @Field(() => String, { description: 'Profile field, or traits.<key> for one trait.' }) field!: string;
  @Field(() => String) source!: string;
  @Field(() => DateTimeScalar) at!: Date;
}

@ObjectType('FieldChoice', { description: 'Which profile a merged value comes from, by survivorship.' })
export class FieldChoice {
  @Field(() => String) field!: string;
  @Field(() => MergeSide) from!: MergeSide;
  @Field(() => String) source!: string;
  @Field(() => DateTimeScalar) at!: Date;
}

@ObjectType('MergedProfile', { description: 'The profile values a merge would give the survivor.' })
export class MergedProfile {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => EmailAddressScalar, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => LocalDateScalar, { nullable: true }) birthDate?: string | null;
  @Field(() => String, { nullable: true }) locale?: string | null;
  @Field(() => PostalAddress, { nullable: true }) address?: PostalAddress | null;
  @Field(() => JSONObjectScalar) traits!: Record<string, unknown>;
  @Field(() => DateTimeScalar) firstSeenAt!: Date;
  @Field(() => DateTimeScalar) lastSeenAt!: Date;
}

@ObjectType('MergePreview', { description: 'A dry run of mergeCustomers: nothing is written.' })
export class MergePreview {
  @Field(() => Customer, { description: 'The survivor as it is now.' }) survivor!: Customer;
  @Field(() => Customer, { description: 'The profile that would be merged away, as it is now.' }) loser!: Customer;
  @Field(() => MergedProfile) result!: MergedProfile;
  @Field(() => [MergeMove], { description: "Rows of the loser's that would move, per table." }) moves!: MergeMove[];
  @Field(() => [FieldChoice]) fields!: FieldChoice[];
}

@ObjectType('MergeCustomersPayload')
export class MergeCustomersPayload {
  @Field(() => CustomerMerge) merge!: CustomerMerge;
  @Field(() => Customer) survivor!: Customer;
}

@ObjectType('UnmergeCustomersPayload')
export class UnmergeCustomersPayload {
  @Field(() => CustomerMerge) merge!: CustomerMerge;
  @Field(() => Customer) survivor!: Customer;
  @Field(() => Customer) loser!: Customer;
}

@ObjectType('IgnoredIdentifier', { description: 'An identifier a write carried that was neither stored nor matched.' })
export class IgnoredIdentifier {
  @Field(() => IdentityKind) kind!: IdentityKind;
  @Field(() => String) namespace!: string;
  @Field(() => String, { description: 'BLOCKLISTED: a junk value on MERGE_POLICY.blocklist.' }) reason!: string;
}
