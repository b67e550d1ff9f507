import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { Customer, Interaction, Product } from '../../entities';
import type { Context } from '../../context';
import { writableCustomerId } from '../../auth/access';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';
import { recordInteraction } from '../../services/activity.service';
import { rightsOf } from '../../ingestion/rules';
import { RecordInteractionInput } from './interaction.inputs';

@ObjectType('RecordInteractionPayload')
export class RecordInteractionPayload {
  @Field(() => Interaction) interaction!: Interaction;
  @Field(() => Boolean, { description: 'True when this sourceEventId had already been recorded; nothing new was stored.' }) duplicate!: boolean;
}

@Resolver(() => Interaction)
export class InteractionResolver {
  @FieldResolver(() => Customer)
  async customer(@Root() interaction: Interaction, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(interaction.customer.id))!;
  }

  @FieldResolver(() => Product, { nullable: true })
  product(@Root() interaction: Interaction, @Ctx() ctx: Context): Promise<Product | null> | null {
    return interaction.product ? ctx.loaders.productById.load(interaction.product.id) : null;
  }

  @Mutation(() => RecordInteractionPayload)
  async recordInteraction(@Arg('input', () => RecordInteractionInput) input: RecordInteractionInput, @Ctx() ctx: Context): Promise<RecordInteractionPayload> {
    // A customer the caller may not see is not found, exactly as an unknown id (no existence oracle).
    await writableCustomerId(ctx, input.customerId, 'input.customerId');
    const result = await recordInteraction(ctx.em, input, writeAudit(ctx, 'recordInteraction'), { policy: ctx.config.mergePolicy, keyring: ctx.config.pseudonymKeys, rights: rightsOf(ctx.viewer!) });
    // A replay stored nothing new: nothing to tell.
    if (!result.duplicate) publishActivity(ctx, 'Interaction', result.interaction);
    return result;
  }
}
