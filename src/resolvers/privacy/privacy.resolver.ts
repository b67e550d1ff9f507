import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { ApiKey, AuditEntry, Customer, Feedback } from '../../entities';
import { FeedbackStatus } from '../../entities/enums';
import type { Context } from '../../context';
import { expectGlobalId } from '../../schema/global-id';
import { ConnectionType, toConnection } from '../../schema/connection';
import { DateTimeScalar, JSONObjectScalar } from '../../schema/scalars';
import { checkFirst, decodeCursor, keysetPage } from '../../services/pagination';
import { eraseCustomer, exportCustomerData } from '../../services/privacy.service';
import { updateFeedbackStatus } from '../../services/activity.service';
import { createApiKey, revokeApiKey, rotateApiKey } from '../../auth/api-keys';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';

export const AuditEntryConnection = ConnectionType(AuditEntry, 'AuditEntry');

@ObjectType('EraseCustomerPayload')
export class EraseCustomerPayload {
  @Field(() => Customer) customer!: Customer;
  @Field(() => Int) identifiersSuppressed!: number;
  @Field(() => Int) interactionsScrubbed!: number;
  @Field(() => Int) feedbackScrubbed!: number;
  @Field(() => Int, { description: 'Profiles that had been merged into this customer (directly or through other merges), erased with it.' }) mergedProfilesErased!: number;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field(() => String, { description: 'The full key, to send as the X-API-Key header. Shown once: it is not stored.' }) secret!: string;
}

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field(() => String) name!: string;
  @Field(() => [String], { description: 'customers:read, customers:contact, orders:read, interactions:read, feedback:read, events:write, profiles:write' }) scopes!: string[];
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt?: Date | null;
}

@Resolver()
export class PrivacyResolver {
  @Query(() => JSONObjectScalar, { description: 'Everything held about a customer and the profiles merged into it, as one JSON document (right of access and portability). Sections: README "Data-subject rights".' })
  async exportCustomerData(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context): Promise<Record<string, unknown>> {
    const id = expectGlobalId(customerId, 'Customer', 'customerId');
    const doc = await exportCustomerData(ctx.em, id);
    await ctx.primary.transactional((tem) => writeAudit(ctx, 'exportCustomerData')(tem, id));
    return doc;
  }

  @Mutation(() => EraseCustomerPayload, { description: 'Erases a customer and every profile merged into it: removes personal data, keeps order amounts, blocks re-creation from the same identifiers.' })
  async eraseCustomer(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context): Promise<EraseCustomerPayload> {
    return eraseCustomer(ctx.em, expectGlobalId(customerId, 'Customer', 'customerId'), writeAudit(ctx, 'eraseCustomer'), ctx.config.pseudonymKeys);
  }

  @Mutation(() => Feedback, { description: 'Moves feedback (e.g. a complaint) through OPEN → ACKNOWLEDGED → RESOLVED.' })
  async updateFeedbackStatus(@Arg('id', () => ID) id: string, @Arg('status', () => FeedbackStatus) status: FeedbackStatus, @Ctx() ctx: Context): Promise<Feedback> {
    const feedback = await updateFeedbackStatus(ctx.em, expectGlobalId(id, 'Feedback', 'id'), status, writeAudit(ctx, 'updateFeedbackStatus'));
    publishActivity(ctx, 'Feedback', feedback);
    return feedback;
  }

  @Query(() => AuditEntryConnection, { description: 'The audit log, newest first; optionally for one customer.' })
  async auditLog(
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('customerId', () => ID, { nullable: true }) customerId: string | null,
    @Ctx() ctx: Context,
  ) {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (customerId) {
      // A customer's own entries, and the batch writes (ingestEvents, the import) naming it among others.
      const id = expectGlobalId(customerId, 'Customer', 'customerId');
      clauses.push('(a.customer_id = ? or a.customer_ids @> array[?::uuid])');
      params.push(id, id);
    }
    return toConnection(await keysetPage(ctx.em, {
      entity: AuditEntry, table: 'audit_log', clauses, params, sortColumn: 'at', sortCast: 'timestamptz', direction: 'desc',
      first: checkFirst(first, ctx.config.maxPageSize), after: decodeCursor(after),
    }));
  }

  @Query(() => [ApiKey], { description: 'Partner API keys (never their secrets).' })
  apiKeys(@Ctx() ctx: Context): Promise<ApiKey[]> {
    return ctx.em.find(ApiKey, {}, { orderBy: { createdAt: 'desc' } });
  }

  @Mutation(() => CreatedApiKey)
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: Context): Promise<CreatedApiKey> {
    return createApiKey(ctx.em, { ...input, createdBy: ctx.viewer!.subject }, writeAudit(ctx, 'createApiKey'));
  }

  @Mutation(() => ApiKey)
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKey> {
    return revokeApiKey(ctx.em, expectGlobalId(id, 'ApiKey', 'id'), writeAudit(ctx, 'revokeApiKey'));
  }

  @Mutation(() => CreatedApiKey)
  rotateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('gracePeriodSeconds', () => Int, { defaultValue: 0 }) gracePeriodSeconds: number,
    @Ctx() ctx: Context,
  ): Promise<CreatedApiKey> {
    return rotateApiKey(ctx.em, expectGlobalId(id, 'ApiKey', 'id'), gracePeriodSeconds, writeAudit(ctx, 'rotateApiKey'));
  }
}

