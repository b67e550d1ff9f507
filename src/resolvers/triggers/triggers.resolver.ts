import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import { SupportTask, SupportTaskStatus, Trigger, TriggerAction, TriggerCondition, TriggerFiring, TriggerFiringStatus } from '../../entities/trigger.entity';
import { LifecycleStage } from '../../analytics/enums';
import { ConsentPurpose } from '../../entities/enums';
import type { Context } from '../../context';
import { expectGlobalId } from '../../schema/global-id';
import { ConnectionType, toConnection } from '../../schema/connection';
import { decodeCursor } from '../../services/pagination';
import {
  createTrigger, deleteTrigger, listSupportTasks, listTriggerFirings, listTriggers, setSupportTaskStatus, updateTrigger, type TriggerUpdate,
} from '../../triggers/triggers.service';
import { writeAudit } from '../common/audit';

export const TriggerFiringConnection = ConnectionType(TriggerFiring, 'TriggerFiring');
export const SupportTaskConnection = ConnectionType(SupportTask, 'SupportTask');

@InputType('CreateTriggerInput')
export class CreateTriggerInput {
  @Field(() => String) name!: string;
  @Field(() => TriggerCondition) condition!: TriggerCondition;
  @Field(() => ID, { nullable: true }) segmentId?: string | null;
  @Field(() => [LifecycleStage], { nullable: true }) lifecycleStages?: LifecycleStage[] | null;
  @Field(() => Int, { nullable: true }) cartHours?: number | null;
  @Field(() => TriggerAction) action!: TriggerAction;
  @Field(() => ID, { nullable: true }) webhookEndpointId?: string | null;
  @Field(() => ID, { nullable: true }) offerId?: string | null;
  @Field(() => Int, { nullable: true }) offerDays?: number | null;
  @Field(() => String, { nullable: true }) taskNote?: string | null;
  @Field(() => Int, { nullable: true }) delaySeconds?: number | null;
  @Field(() => ConsentPurpose, { nullable: true }) consentPurpose?: ConsentPurpose | null;
  @Field(() => Int, { nullable: true }) capCount?: number | null;
  @Field(() => Int, { nullable: true }) capWindowHours?: number | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}

@InputType('UpdateTriggerInput')
export class UpdateTriggerInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => TriggerCondition, { nullable: true }) condition?: TriggerCondition | null;
  @Field(() => ID, { nullable: true }) segmentId?: string | null;
  @Field(() => [LifecycleStage], { nullable: true }) lifecycleStages?: LifecycleStage[] | null;
  @Field(() => Int, { nullable: true }) cartHours?: number | null;
  @Field(() => TriggerAction, { nullable: true }) action?: TriggerAction | null;
  @Field(() => ID, { nullable: true }) webhookEndpointId?: string | null;
  @Field(() => ID, { nullable: true }) offerId?: string | null;
  @Field(() => Int, { nullable: true }) offerDays?: number | null;
  @Field(() => String, { nullable: true }) taskNote?: string | null;
  @Field(() => Int, { nullable: true }) delaySeconds?: number | null;
  @Field(() => ConsentPurpose, { nullable: true }) consentPurpose?: ConsentPurpose | null;
  @Field(() => Int, { nullable: true }) capCount?: number | null;
  @Field(() => Int, { nullable: true }) capWindowHours?: number | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}

/** Global ids of the targets to database ids (undefined and null pass through). */
function targets(input: { segmentId?: string | null; webhookEndpointId?: string | null; offerId?: string | null }) {
  const id = (v: string | null | undefined, type: string, arg: string) => (v == null ? v : expectGlobalId(v, type, arg));
  return {
    segmentId: id(input.segmentId, 'Segment', 'input.segmentId'),
    webhookEndpointId: id(input.webhookEndpointId, 'WebhookEndpoint', 'input.webhookEndpointId'),
    offerId: id(input.offerId, 'Offer', 'input.offerId'),
  };
}

@Resolver()
export class TriggersResolver {
  @Query(() => [Trigger], { description: 'Every trigger, oldest first.' })
  triggers(@Ctx() ctx: Context): Promise<Trigger[]> {
    return listTriggers(ctx.em);
  }

  @Query(() => TriggerFiringConnection, { description: "One trigger's firing log, newest first." })
  async triggerFirings(
    @Arg('triggerId', () => ID) triggerId: string,
    @Arg('status', () => TriggerFiringStatus, { nullable: true }) status: TriggerFiringStatus | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    const id = expectGlobalId(triggerId, 'Trigger', 'triggerId');
    return toConnection(await listTriggerFirings(ctx.em, id, status ?? null, first, decodeCursor(after), ctx.config.maxPageSize));
  }

  @Query(() => SupportTaskConnection, { description: 'Support tasks recorded by triggers, newest first.' })
  async supportTasks(
    @Arg('status', () => SupportTaskStatus, { nullable: true }) status: SupportTaskStatus | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return toConnection(await listSupportTasks(ctx.em, status ?? null, first, decodeCursor(after), ctx.config.maxPageSize));
  }

  @Mutation(() => Trigger)
  createTrigger(@Arg('input', () => CreateTriggerInput) input: CreateTriggerInput, @Ctx() ctx: Context): Promise<Trigger> {
    return createTrigger(ctx.em, { ...input, ...targets(input) }, ctx.viewer!.subject, writeAudit(ctx, 'createTrigger'));
  }

  @Mutation(() => Trigger)
  updateTrigger(@Arg('input', () => UpdateTriggerInput) input: UpdateTriggerInput, @Ctx() ctx: Context): Promise<Trigger> {
    const { id, ...rest } = input;
    // Absent fields are undefined (unchanged); an explicit null clears where clearing is allowed.
    const data: TriggerUpdate = { ...rest, ...targets(rest) };
    return updateTrigger(ctx.em, expectGlobalId(id, 'Trigger', 'input.id'), data, writeAudit(ctx, 'updateTrigger'));
  }

  @Mutation(() => Boolean)
  deleteTrigger(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return deleteTrigger(ctx.em, expectGlobalId(id, 'Trigger', 'id'), writeAudit(ctx, 'deleteTrigger'));
  }

  @Mutation(() => SupportTask)
  setSupportTaskStatus(@Arg('id', () => ID) id: string, @Arg('status', () => SupportTaskStatus) status: SupportTaskStatus, @Ctx() ctx: Context): Promise<SupportTask> {
    return setSupportTaskStatus(ctx.em, expectGlobalId(id, 'SupportTask', 'id'), status, writeAudit(ctx, 'setSupportTaskStatus'));
  }
}
