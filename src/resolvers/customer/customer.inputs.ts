import { Field, ID, InputType } from 'type-graphql';
import { CustomerStatus, IdentityKind } from '../../entities/enums';
import { ConsentFilter } from '../common/consent-filter';
import { CustomerValueFilter } from '../analytics/analytics.inputs';

export { ConsentFilter };
import { CustomerSortField, SortDirection } from '../../services/customer.service';
import { DateTimeScalar, JSONObjectScalar, LocalDateScalar } from '../../schema/scalars';

@InputType('IdentifierInput')
export class IdentifierInput {
  @Field(() => IdentityKind) kind!: IdentityKind;
  @Field(() => String, { nullable: true, description: 'Source system for EXTERNAL_ID and CRM_ID (e.g. "shopify").' }) namespace?: string | null;
  @Field(() => String) value!: string;
}

@InputType('PostalAddressInput')
export class PostalAddressInput {
  @Field(() => String, { nullable: true }) line1?: string | null;
  @Field(() => String, { nullable: true }) line2?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) country?: string | null;
}

@InputType('UpsertCustomerInput', { description: 'Omitted fields are left as they are; null clears a field.' })
export class UpsertCustomerInput {
  @Field(() => ID, { nullable: true, description: 'Update this customer. Without it, the customer is found by its identifiers or created.' })
  id?: string | null;
  @Field(() => [IdentifierInput], { nullable: true }) identities?: IdentifierInput[] | null;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true, description: 'Normalised (trimmed, lower case) and recorded as an EMAIL identity.' }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'International format; stored as E.164 and recorded as a PHONE identity.' }) phone?: string | null;
  @Field(() => LocalDateScalar, { nullable: true }) birthDate?: string | null;
  @Field(() => String, { nullable: true }) locale?: string | null;
  @Field(() => PostalAddressInput, { nullable: true }) address?: PostalAddressInput | null;
  @Field(() => JSONObjectScalar, { nullable: true, description: 'Merged into the existing traits (top-level keys); null clears them.' }) traits?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'Which system sends this (default "api").' }) source?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Makes the call idempotent per source (README "One ingestion pipeline"): a retry answers the customer first written; the same key with other content is a CONFLICT.',
  })
  idempotencyKey?: string | null;
}

@InputType('CustomerFilter')
export class CustomerFilter {
  @Field(() => CustomerValueFilter, { nullable: true, description: 'By computed metrics (staff only).' }) value?: CustomerValueFilter | null;
  @Field(() => ID, { nullable: true, description: 'Current members of a segment (staff only).' }) segmentId?: string | null;
  @Field(() => ConsentFilter, { nullable: true, description: 'Targeting: only customers whose consent in force matches.' }) consent?: ConsentFilter | null;
  @Field(() => [CustomerStatus], { nullable: true, description: 'Default: ACTIVE only.' }) status?: CustomerStatus[] | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of name or email (2-100 characters).' }) search?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdAfter?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdBefore?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastSeenAfter?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastSeenBefore?: Date | null;
}

@InputType('CustomerOrderBy')
export class CustomerOrderBy {
  @Field(() => CustomerSortField, { defaultValue: CustomerSortField.CREATED_AT }) field!: CustomerSortField;
  @Field(() => SortDirection, { defaultValue: SortDirection.DESC }) direction!: SortDirection;
}
