import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Customer, Feedback, Product } from '../../entities';
import { FeedbackKind, InteractionChannel } from '../../entities/enums';
import type { Context } from '../../context';
import { writableCustomerId } from '../../auth/access';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';
import { expectGlobalId } from '../../schema/global-id';
import { DateTimeScalar } from '../../schema/scalars';
import { recordFeedback } from '../../services/activity.service';

@InputType('RecordFeedbackInput', { description: 'NPS needs a score 0-10, CSAT and REVIEW 1-5, SURVEY takes 0-100; COMPLAINT and SUGGESTION need text.' })
export class RecordFeedbackInput {
  @Field(() => ID) customerId!: string;
  @Field(() => FeedbackKind) kind!: FeedbackKind;
  @Field(() => Int, { nullable: true }) score?: number | null;
  @Field(() => String, { nullable: true }) text?: string | null;
  @Field(() => String, { nullable: true }) topic?: string | null;
  @Field(() => InteractionChannel, { nullable: true }) channel?: InteractionChannel | null;
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' }) submittedAt?: Date | null;
}

@Resolver(() => Feedback)
export class FeedbackResolver {
  @FieldResolver(() => Customer)
  async customer(@Root() feedback: Feedback, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(feedback.customer.id))!;
  }

  @FieldResolver(() => Product, { nullable: true })
  product(@Root() feedback: Feedback, @Ctx() ctx: Context): Promise<Product | null> | null {
    return feedback.product ? ctx.loaders.productById.load(feedback.product.id) : null;
  }

  @Mutation(() => Feedback)
  async recordFeedback(@Arg('input', () => RecordFeedbackInput) input: RecordFeedbackInput, @Ctx() ctx: Context): Promise<Feedback> {
    const feedback = await recordFeedback(ctx.em, {
      ...input,
      customerId: await writableCustomerId(ctx, input.customerId, 'input.customerId'),
      productId: input.productId ? expectGlobalId(input.productId, 'Product', 'input.productId') : null,
    }, writeAudit(ctx, 'recordFeedback'));
    publishActivity(ctx, 'Feedback', feedback);
    return feedback;
  }
}
