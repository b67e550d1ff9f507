import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '../../entities';
import type { Context } from '../../context';
import { expectGlobalId } from '../../schema/global-id';
import { ConnectionType, toConnection } from '../../schema/connection';
import { decodeCursor } from '../../services/pagination';
import {
  createWebhookEndpoint, deleteWebhookEndpoint, listWebhookDeliveries, listWebhookEndpoints, replayWebhookDelivery, updateWebhookEndpoint,
} from '../../outbound/webhooks.service';
import { writeAudit } from '../common/audit';

export const WebhookDeliveryConnection = ConnectionType(WebhookDelivery, 'WebhookDelivery');

@InputType('CreateWebhookEndpointInput')
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: 'https:// (http:// only where WEBHOOK_ALLOW_HTTP is on: development and tests).' }) url!: string;
  @Field(() => [String], { description: 'Event types to receive (README "Webhooks"); a partner key only those its scopes allow.' }) events!: string[];
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType('UpdateWebhookEndpointInput')
export class UpdateWebhookEndpointInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [String], { nullable: true }) events?: string[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Admins only: true re-enables a disabled endpoint and sends what it held; false disables it.' }) enabled?: boolean | null;
}

@ObjectType('CreatedWebhookEndpoint')
export class CreatedWebhookEndpoint {
  @Field(() => WebhookEndpoint) endpoint!: WebhookEndpoint;
  @Field(() => String, { description: 'The signing secret (whsec_…), for verifying with a Standard Webhooks library. Shown once.' }) secret!: string;
}

@Resolver()
export class WebhooksResolver {
  @Query(() => [WebhookEndpoint], { description: "An admin's: every endpoint; a partner's: its own key's." })
  webhookEndpoints(@Ctx() ctx: Context): Promise<WebhookEndpoint[]> {
    return listWebhookEndpoints(ctx.em, ctx.viewer!);
  }

  @Query(() => WebhookDeliveryConnection, { description: 'The delivery log of one endpoint, newest first.' })
  async webhookDeliveries(
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    const id = expectGlobalId(endpointId, 'WebhookEndpoint', 'endpointId');
    return toConnection(await listWebhookDeliveries(ctx.em, ctx.viewer!, id, status ?? null, first, decodeCursor(after), ctx.config.maxPageSize));
  }

  @Mutation(() => CreatedWebhookEndpoint)
  createWebhookEndpoint(@Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput, @Ctx() ctx: Context): Promise<CreatedWebhookEndpoint> {
    return createWebhookEndpoint(ctx.em, ctx.viewer!, input, ctx.config.webhooks, writeAudit(ctx, 'createWebhookEndpoint'));
  }

  @Mutation(() => WebhookEndpoint)
  updateWebhookEndpoint(@Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput, @Ctx() ctx: Context): Promise<WebhookEndpoint> {
    return updateWebhookEndpoint(ctx.em, ctx.viewer!, expectGlobalId(input.id, 'WebhookEndpoint', 'input.id'), {
      url: input.url ?? undefined, events: input.events ?? undefined, description: input.description, enabled: input.enabled ?? undefined,
    }, ctx.config.webhooks, writeAudit(ctx, 'updateWebhookEndpoint'));
  }

  @Mutation(() => Boolean)
  deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return deleteWebhookEndpoint(ctx.em, ctx.viewer!, expectGlobalId(id, 'WebhookEndpoint', 'id'), writeAudit(ctx, 'deleteWebhookEndpoint'));
  }

  @Mutation(() => WebhookDelivery, { description: 'Sends one delivery again, with the same webhook-id.' })
  replayWebhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<WebhookDelivery> {
    return replayWebhookDelivery(ctx.em, ctx.viewer!, expectGlobalId(id, 'WebhookDelivery', 'id'), writeAudit(ctx, 'replayWebhookDelivery'));
  }
}
