import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Campaign, Customer, Offer, Segment } from '../../entities';
import { CampaignStatus, OfferChannel, OfferStatus } from '../../entities/offer-enums';
import type { Context } from '../../context';
import { writableCustomerId } from '../../auth/access';
import { expectGlobalId, fromGlobalId } from '../../schema/global-id';
import { Money } from '../../schema/money';
import { checkFirst } from '../../services/pagination';
import {
  createCampaign, createOffer, listCampaigns, listOffers, recordOfferResponse, updateCampaign, updateOffer,
} from '../../services/offers.service';
import { writeAudit } from '../common/audit';
import { publishActivity } from '../common/live';
import { RecordInteractionPayload } from '../interaction/interaction.resolver';
import { CreateCampaignInput, CreateOfferInput, RecordOfferResponseInput, UpdateCampaignInput, UpdateOfferInput } from './offers.inputs';
import { NextBestOffer } from './offers.types';

/** Largest nextBestOffers list: a channel presents a handful, never a catalogue. */
const MAX_OFFERS = 20;

@Resolver(() => Offer)
export class OfferResolver {
  @Query(() => [Offer], { description: 'Offers by code.' })
  offers(
    @Arg('status', () => OfferStatus, { nullable: true }) status: OfferStatus | null,
    @Arg('campaignId', () => ID, { nullable: true }) campaignId: string | null,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<Offer[]> {
    return listOffers(ctx.em, {
      status, campaignId: campaignId ? expectGlobalId(campaignId, 'Campaign', 'campaignId') : null, first: checkFirst(first, ctx.config.maxPageSize),
    });
  }

  @Query(() => Offer, { nullable: true })
  offer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Offer | null> | null {
    const parsed = fromGlobalId(id);
    return parsed?.type === 'Offer' ? ctx.em.findOne(Offer, { id: parsed.id }) : null;
  }

  @Query(() => [Campaign], { description: 'Campaigns by code.' })
  campaigns(
    @Arg('status', () => CampaignStatus, { nullable: true }) status: CampaignStatus | null,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<Campaign[]> {
    return listCampaigns(ctx.em, { status, first: checkFirst(first, ctx.config.maxPageSize) });
  }

  @FieldResolver(() => Campaign, { nullable: true })
  campaign(@Root() offer: Offer, @Ctx() ctx: Context): Promise<Campaign | null> | null {
    return offer.campaign ? ctx.loaders.offerCampaignById.load(offer.campaign.id) : null;
  }

  @FieldResolver(() => [Segment], { description: 'Eligible: a current member of any of these (none: everyone). Deleted segments drop out.' })
  async targetSegments(@Root() offer: Offer, @Ctx() ctx: Context): Promise<Segment[]> {
    const found = await ctx.loaders.offerSegmentById.loadMany(offer.segmentIds);
    return found.filter((s): s is Segment => s != null && !(s instanceof Error));
  }

  @Mutation(() => Campaign)
  createCampaign(@Arg('input', () => CreateCampaignInput) input: CreateCampaignInput, @Ctx() ctx: Context): Promise<Campaign> {
    return createCampaign(ctx.em, input, ctx.viewer!.subject, writeAudit(ctx, 'createCampaign'));
  }

  @Mutation(() => Campaign)
  updateCampaign(@Arg('input', () => UpdateCampaignInput) input: UpdateCampaignInput, @Ctx() ctx: Context): Promise<Campaign> {
    const { id, ...rest } = input;
    return updateCampaign(ctx.em, expectGlobalId(id, 'Campaign', 'input.id'), rest, writeAudit(ctx, 'updateCampaign'));
  }

  @Mutation(() => Offer)
  createOffer(@Arg('input', () => CreateOfferInput) input: CreateOfferInput, @Ctx() ctx: Context): Promise<Offer> {
    return createOffer(ctx.em, {
      ...input,
      campaignId: input.campaignId ? expectGlobalId(input.campaignId, 'Campaign', 'input.campaignId') : null,
      targetSegmentIds: (input.targetSegmentIds ?? []).map((s, i) => expectGlobalId(s, 'Segment', `input.targetSegmentIds[${i}]`)),
    }, ctx.viewer!.subject, writeAudit(ctx, 'createOffer'));
  }

  @Mutation(() => Offer)
  updateOffer(@Arg('input', () => UpdateOfferInput) input: UpdateOfferInput, @Ctx() ctx: Context): Promise<Offer> {
    const { id, campaignId, targetSegmentIds, ...rest } = input;
    return updateOffer(ctx.em, expectGlobalId(id, 'Offer', 'input.id'), {
      ...rest,
      campaignId: campaignId === undefined ? undefined : campaignId === null ? null : expectGlobalId(campaignId, 'Campaign', 'input.campaignId'),
      targetSegmentIds: targetSegmentIds === undefined ? undefined : (targetSegmentIds ?? []).map((s, i) => expectGlobalId(s, 'Segment', `input.targetSegmentIds[${i}]`)),
    }, writeAudit(ctx, 'updateOffer'));
  }

  @Mutation(() => RecordInteractionPayload, { description: 'Records SHOWN, ACCEPTED or REJECTED as an interaction; feeds next-best-offer ranking.' })
  async recordOfferResponse(@Arg('input', () => RecordOfferResponseInput) input: RecordOfferResponseInput, @Ctx() ctx: Context): Promise<RecordInteractionPayload> {
    const result = await recordOfferResponse(ctx.em, {
      ...input,
      customerId: await writableCustomerId(ctx, input.customerId, 'input.customerId'),
      offerId: expectGlobalId(input.offerId, 'Offer', 'input.offerId'),
    }, writeAudit(ctx, 'recordOfferResponse'));
    if (!result.duplicate) publishActivity(ctx, 'Interaction', result.interaction);
    return result;
  }
}

@Resolver(() => Customer)
export class CustomerOffersResolver {
  @FieldResolver(() => [NextBestOffer], {
    description: 'Offers this customer is eligible for now on the channel (consent in force included), best expected value first.',
  })
  async nextBestOffers(
    @Root() customer: Customer,
    @Arg('channel', () => OfferChannel) channel: OfferChannel,
    @Arg('first', () => Int, { defaultValue: 3 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<NextBestOffer[]> {
    const ranked = await ctx.loaders.nextBestOffers.load({ customerId: customer.id, channel, first: checkFirst(first, MAX_OFFERS) });
    return ranked.map((r) => ({ ...r, expectedValue: new Money(Math.round(r.expectedValueMinor), r.offer.currency) }));
  }
}
