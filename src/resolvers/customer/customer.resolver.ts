import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ConsentRecord, Customer, Identity } from '../../entities';
import { ConsentPurpose, IdentityKind, FeedbackKind } from '../../entities/enums';
import type { Context } from '../../context';
import { ACTION_POLICY, holdsGrant } from '../../auth/policy';
import { expectGlobalId, expectGlobalOrRawId, fromGlobalId, toGlobalId } from '../../schema/global-id';
import { selectsField, toConnection } from '../../schema/connection';
import { checkFirst, decodeCursor } from '../../services/pagination';
import { CustomerSortField, SortDirection, findCustomerByIdentifier, listCustomers } from '../../services/customer.service';
import { upsertOne } from '../../ingestion/single';
import { rightsOf } from '../../ingestion/rules';
import { NO_FILTER } from '../../loaders/child-page.loader';
import { CustomerFilter, CustomerOrderBy, UpsertCustomerInput } from './customer.inputs';
import {
  ConsentRecordConnection, CustomerConnection, CustomerConsents, FeedbackConnection, InteractionConnection, OrderConnection,
  UpsertCustomerPayload,
} from './customer.types';
import { InteractionFilter } from '../interaction/interaction.inputs';
import { consentPurposeSql, feedbackKindsSql, interactionFilterSql } from './customer.filters';
import { visibleOrNull } from '../../auth/access';
import { Role } from '../../auth/viewer';
import { writeAudit } from '../common/audit';

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'A customer by global id; null when there is none.' })
  async customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Customer | null> {
    const parsed = fromGlobalId(id);
    if (!parsed || parsed.type !== 'Customer') return null;
    return visibleOrNull(ctx, await ctx.loaders.customerById.load(parsed.id), (c) => c.id);
  }

  @Query(() => Customer, { nullable: true, description: 'The signed-in customer (role CUSTOMER): for self-service front ends such as a preference centre.' })
  async me(@Ctx() ctx: Context): Promise<Customer | null> {
    return ctx.viewer?.customerId ? ctx.loaders.customerById.load(ctx.viewer.customerId) : null;
  }

  @Query(() => Customer, { nullable: true, description: 'The customer an identifier (normalised first) belongs to.' })
  async customerByIdentifier(
    @Arg('kind', () => IdentityKind) kind: IdentityKind,
    @Arg('value', () => String) value: string,
    @Arg('namespace', () => String, { nullable: true }) namespace: string | null,
    @Ctx() ctx: Context,
  ): Promise<Customer | null> {
    return visibleOrNull(ctx, await findCustomerByIdentifier(ctx.em, kind, value, namespace ?? ''), (c) => c.id);
  }

  @Query(() => CustomerConnection)
  async customers(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter: CustomerFilter | null,
    @Arg('orderBy', () => CustomerOrderBy, { nullable: true }) orderBy: CustomerOrderBy | null,
    @Ctx() ctx: Context,
  ) {
    const page = await listCustomers(ctx.em, {
      first: checkFirst(first, ctx.config.maxPageSize),
      after: decodeCursor(after),
      filter: {
        ...filter, onlySharingWithPartners: ctx.viewer?.role === Role.PARTNER,
        // The segment's global id, as `segment.id` returns it (or its raw UUID).
        segmentId: filter?.segmentId == null ? null : expectGlobalOrRawId(filter.segmentId, 'Segment', 'filter.segmentId'),
      },
      sort: orderBy?.field ?? CustomerSortField.CREATED_AT,
      direction: orderBy?.direction ?? SortDirection.DESC,
    });
    return toConnection(page);
  }

  @Mutation(() => UpsertCustomerPayload, { description: 'Creates a customer or updates the one matching its id or identifiers.' })
  async upsertCustomer(@Arg('input', () => UpsertCustomerInput) input: UpsertCustomerInput, @Ctx() ctx: Context): Promise<UpsertCustomerPayload> {
    // A batch of one through the ingestion core; self-service may not absorb another profile, nor learn
    // whether someone else uses an e-mail or phone (rules.ts, enforced by the core).
    const result = await upsertOne(ctx.em, input, writeAudit(ctx, 'upsertCustomer'), {
      policy: ctx.config.mergePolicy, keyring: ctx.config.pseudonymKeys, rights: rightsOf(ctx.viewer!),
    });
    return {
      customer: result.customer, created: result.created, ignoredIdentifiers: result.ignored,
      mergedCustomerIds: result.mergedIds.map((m) => toGlobalId('Customer', m)),
    };
  }

  @FieldResolver(() => [Identity])
  identities(@Root() customer: Customer, @Ctx() ctx: Context): Promise<Identity[]> {
    return ctx.loaders.identitiesByCustomer.load(customer.id);
  }

  @FieldResolver(() => OrderConnection, { description: 'Orders, newest first.' })
  async orders(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = await ctx.loaders.ordersPage.load({
      parentId: customer.id, first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), filter: NO_FILTER, withCount: selectsField(info, 'totalCount'),
    });
    return toConnection(page);
  }

  @FieldResolver(() => InteractionConnection, { description: 'Interactions, newest first.' })
  async interactions(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => InteractionFilter, { nullable: true }) filter: InteractionFilter | null,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = await ctx.loaders.interactionsPage.load({
      parentId: customer.id, first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), filter: interactionFilterSql(filter),
      withCount: selectsField(info, 'totalCount'),
    });
    return toConnection(page);
  }

  @FieldResolver(() => FeedbackConnection, { description: 'Feedback, newest first.' })
  async feedback(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('kinds', () => [FeedbackKind], { nullable: true }) kinds: FeedbackKind[] | null,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    const filter = feedbackKindsSql(kinds);
    const page = await ctx.loaders.feedbackPage.load({
      parentId: customer.id, first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), filter, withCount: selectsField(info, 'totalCount'),
    });
    return toConnection(page);
  }

  @FieldResolver(() => CustomerConsents)
  consents(@Root() customer: Customer): CustomerConsents {
    return new CustomerConsents(customer.id);
  }
}

@Resolver(() => CustomerConsents)
export class CustomerConsentsResolver {
  @FieldResolver(() => [ConsentRecord], { description: 'The decision in force for each purpose and channel that has one.' })
  current(@Root() consents: CustomerConsents, @Ctx() ctx: Context) {
    return ctx.loaders.currentConsentsByCustomer.load(consents.customerId);
  }

  @FieldResolver(() => ConsentRecordConnection, { description: 'Every consent record, newest first.' })
  async history(
    @Root() consents: CustomerConsents,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('purpose', () => ConsentPurpose, { nullable: true }) purpose: ConsentPurpose | null,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    const filter = consentPurposeSql(purpose);
    const page = await ctx.loaders.consentHistoryPage.load({
      parentId: consents.customerId, first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after), filter, withCount: selectsField(info, 'totalCount'),
    });
    return toConnection(page);
  }
}
