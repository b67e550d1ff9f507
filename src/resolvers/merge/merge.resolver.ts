import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Customer } from '../../entities/customer.entity';
import { CustomerMerge } from '../../entities/customer-merge.entity';
import type { Context } from '../../context';
import { actorOf } from '../../auth/audit';
import { expectGlobalId } from '../../schema/global-id';
import { mergeCustomers, moveCounts, previewMerge, unmergeCustomers } from '../../services/merge.service';
import { writeAudit } from '../common/audit';
import { MergeCustomersInput } from './merge.inputs';
import { FieldProvenance, MergeCustomersPayload, MergeMove, MergePreview, MergeSide, UnmergeCustomersPayload } from './merge.types';

// The ledger names who merged as the audit log does: a pseudonym, never a token's subject.
const mergeActor = (ctx: Context) => `${ctx.viewer?.role ?? 'system'}:${actorOf(ctx.viewer, ctx.config.pseudonymKeys)}`;

async function freshCustomer(ctx: Context, id: string): Promise<Customer> {
  // Merges write customers with SQL: the request's identity map may hold the profile as it was.
  return ctx.em.findOneOrFail(Customer, { id }, { refresh: true });
}

@Resolver(() => CustomerMerge)
export class MergeResolver {
  @Query(() => MergePreview, { description: 'What mergeCustomers would do (resulting profile, rows that would move); writes nothing.' })
  async previewMerge(
    @Arg('survivorId', () => ID) survivorId: string,
    @Arg('loserId', () => ID) loserId: string,
    @Ctx() ctx: Context,
  ): Promise<MergePreview> {
    const s = expectGlobalId(survivorId, 'Customer', 'survivorId');
    const l = expectGlobalId(loserId, 'Customer', 'loserId');
    const outcome = await previewMerge(ctx.em, s, l, ctx.config.mergePolicy);
    const r = outcome.survivorAfter;
    // The merged values are both profiles' personal data: a read of them is audited like any PII read.
    ctx.audit.recordRead(s, 'MergePreview.result');
    ctx.audit.recordRead(l, 'MergePreview.result');
    return {
      survivor: await freshCustomer(ctx, s),
      loser: await freshCustomer(ctx, l),
      result: {
        firstName: r.first_name as string | null, lastName: r.last_name as string | null, email: r.email as string | null, phone: r.phone as string | null,
        birthDate: r.birth_date as string | null, locale: r.locale as string | null, address: (r.address ?? null) as MergePreview['result']['address'],
        traits: (r.traits ?? {}) as Record<string, unknown>, firstSeenAt: new Date(String(r.first_seen_at)), lastSeenAt: new Date(String(r.last_seen_at)),
      },
      moves: outcome.moves,
      fields: outcome.fields.map((f) => ({ field: f.field, from: f.from === 'survivor' ? MergeSide.SURVIVOR : MergeSide.LOSER, source: f.source, at: new Date(f.at) })),
    };
  }

  @Mutation(() => MergeCustomersPayload, { description: 'Merges two profiles of the same person (README "Identity resolution and merges"); undo with unmergeCustomers.' })
  async mergeCustomers(@Arg('input', () => MergeCustomersInput) input: MergeCustomersInput, @Ctx() ctx: Context): Promise<MergeCustomersPayload> {
    const s = expectGlobalId(input.survivorId, 'Customer', 'input.survivorId');
    const l = expectGlobalId(input.loserId, 'Customer', 'input.loserId');
    const outcome = await mergeCustomers(ctx.em, s, l, input.reason, mergeActor(ctx), { policy: ctx.config.mergePolicy, audit: writeAudit(ctx, 'mergeCustomers') });
    return { merge: outcome.merge, survivor: await freshCustomer(ctx, s) };
  }

  @Mutation(() => UnmergeCustomersPayload, { description: 'Undoes a merge: both profiles as they were, every moved row back (rows added since stay with the survivor).' })
  async unmergeCustomers(@Arg('mergeId', () => ID) mergeId: string, @Ctx() ctx: Context): Promise<UnmergeCustomersPayload> {
    const id = expectGlobalId(mergeId, 'CustomerMerge', 'mergeId');
    const merge = await unmergeCustomers(ctx.em, id, mergeActor(ctx), writeAudit(ctx, 'unmergeCustomers'));
    return { merge, survivor: await freshCustomer(ctx, merge.survivor.id), loser: await freshCustomer(ctx, merge.loser.id) };
  }

  @FieldResolver(() => Customer)
  async survivor(@Root() merge: CustomerMerge, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(merge.survivor.id))!;
  }

  @FieldResolver(() => Customer)
  async loser(@Root() merge: CustomerMerge, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(merge.loser.id))!;
  }

  @FieldResolver(() => [MergeMove], { description: 'Rows the merge moved, per table.' })
  moves(@Root() merge: CustomerMerge): MergeMove[] {
    return moveCounts(merge.moved ?? {});
  }
}

@Resolver(() => Customer)
export class CustomerMergeFieldsResolver {
  @FieldResolver(() => [CustomerMerge], { description: 'Merges this profile took part in (as survivor or merged away), newest first.' })
  merges(@Root() customer: Customer, @Ctx() ctx: Context): Promise<CustomerMerge[]> {
    return ctx.loaders.mergesByCustomer.load(customer.id);
  }

  @FieldResolver(() => [FieldProvenance], { description: 'Source and time of each profile value (survivorship on merge uses them).' })
  provenance(@Root() customer: Customer): FieldProvenance[] {
    return Object.entries(customer.fieldProvenance ?? {})
      .map(([field, p]) => ({ field, source: p.source, at: new Date(p.at) }))
      .sort((a, b) => a.field.localeCompare(b.field));
  }
}
