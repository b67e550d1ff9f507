import { profilingObjectionSql } from '../auth/policy';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import { Campaign, Interaction, Offer } from '../entities';
import { ConsentPurpose, InteractionChannel, InteractionType } from '../entities/enums';
import { CHANNEL_CONSENT, CampaignStatus, OfferChannel, OfferGoal, OfferResponse, OfferStatus } from '../entities/offer-enums';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import type { WriteAudit } from './customer.service';
import { recordInteraction } from './activity.service';
import { ACTIVITY_RIGHTS } from '../ingestion/rules';
import { toGlobalId } from '../schema/global-id';
import { advisoryLockSql, checkCurrency, checkNotFuture, cleanText, requireText } from './validation';
import { textArray, uuidArray } from './pagination';
import { FATIGUE_DAYS, scoreOffer } from './offer-ranking';
import { MAX_CONTROL_PERCENT, controlSql, isControl, pickVariant, recordHeldOut, VARIANT_SLICES_SQL, variantSql } from '../campaigns/holdout';

// ---------------------------------------------------------------------------------------------
// Campaigns and offers (marketing-owned, customer-independent)
// ---------------------------------------------------------------------------------------------

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const MAX_SEGMENTS = 50;
const MAX_ACCEPTANCES = 1_000_000;
/** Values are bigint minor units; kept within the safe integer range the graph's SafeInt carries. */
const MAX_MINOR = Number.MAX_SAFE_INTEGER;

function checkCode(value: string, field: string): string {
  const code = requireText(value, field, 128);
  if (!CODE_RE.test(code)) throw badInput(`${field} may contain only letters, digits and . _ : - (starting with a letter or digit)`, field);
  return code;
}

function checkChannels(channels: OfferChannel[] | null | undefined, field: string): OfferChannel[] {
  if (!channels?.length) throw badInput(`${field} needs at least one channel`, field);
  const known = Object.values(OfferChannel) as string[];
  for (const c of channels) if (!known.includes(c)) throw badInput(`${field}: "${c}" is not an offer channel`, field);
  return [...new Set(channels)];
}

function checkWindow(startsAt: Date, endsAt: Date | null | undefined, field = 'endsAt'): void {
  if (Number.isNaN(startsAt.getTime())) throw badInput('startsAt is not a valid time', 'startsAt');
  if (endsAt != null) {
    if (Number.isNaN(endsAt.getTime())) throw badInput(`${field} is not a valid time`, field);
    if (endsAt.getTime() <= startsAt.getTime()) throw badInput(`${field} must be after startsAt`, field);
  }
}

function checkEnum<T extends string>(value: T | null | undefined, values: Record<string, T>, field: string): void {
  if (value != null && !(Object.values(values) as string[]).includes(value)) throw badInput(`${field} is not a valid value`, field);
}

/** An ended campaign or offer stays ended: its responses and metrics are history, not a draft to reuse. */
function checkTransition(from: string, to: string | null | undefined, what: string): void {
  if (to != null && from === 'ended' && to !== 'ended') throw badInput(`an ended ${what} cannot be reopened; create a new one`, 'status');
}

export interface CampaignData {
  code: string;
  name: string;
  description?: string | null;
  channels: OfferChannel[];
  startsAt: Date;
  endsAt?: Date | null;
  status?: CampaignStatus | null;
  controlPercent?: number | null;
  attributionWindowDays?: number | null;
  costMinor?: number | null;
  currency?: string | null;
}

const MAX_WINDOW_DAYS = 90;

/** Measurement settings; `merged` is the campaign as it would be after the write. */
function checkMeasurement(merged: Pick<CampaignData, 'controlPercent' | 'attributionWindowDays' | 'costMinor' | 'currency'>): void {
  const cp = merged.controlPercent;
  if (cp != null && (!Number.isInteger(cp) || cp < 0 || cp > MAX_CONTROL_PERCENT)) throw badInput(`controlPercent must be an integer from 0 to ${MAX_CONTROL_PERCENT}`, 'controlPercent');
  const w = merged.attributionWindowDays;
  if (w != null && (!Number.isInteger(w) || w < 1 || w > MAX_WINDOW_DAYS)) throw badInput(`attributionWindowDays must be an integer from 1 to ${MAX_WINDOW_DAYS}`, 'attributionWindowDays');
  if (merged.costMinor != null) {
    checkMinor(merged.costMinor, 'costMinor');
    if (merged.currency == null) throw badInput('currency is required with costMinor', 'currency');
  }
  if (merged.currency != null) checkCurrency(merged.currency);
}

export async function createCampaign(em: EntityManager, data: CampaignData, createdBy: string, audit?: WriteAudit): Promise<Campaign> {
  const code = checkCode(data.code, 'code');
  const name = requireText(data.name, 'name', 200);
  const description = cleanText(data.description, 'description', 2000) ?? null;
  const channels = checkChannels(data.channels, 'channels');
  checkWindow(data.startsAt, data.endsAt);
  checkEnum(data.status, CampaignStatus, 'status');
  checkMeasurement(data);
  return em.transactional(async (tem) => {
    if (await tem.findOne(Campaign, { code })) throw conflict(`a campaign with code "${code}" exists`, { field: 'code' });
    const campaign = tem.create(Campaign, {
      code, name, description, channels, startsAt: data.startsAt, endsAt: data.endsAt ?? null, status: data.status ?? CampaignStatus.DRAFT, createdBy,
      controlPercent: data.controlPercent ?? 0, attributionWindowDays: data.attributionWindowDays ?? 7,
      costMinor: data.costMinor == null ? null : String(data.costMinor), currency: data.currency ?? null,
    });
    await tem.flush();
    await audit?.(tem, null);
    return campaign;
  });
}

/** The code is fixed once created: interactions already carry it, and campaign metrics group by it. */
export type CampaignUpdate = { [K in keyof Omit<CampaignData, 'code'>]?: CampaignData[K] | null };

export async function updateCampaign(em: EntityManager, id: string, data: CampaignUpdate, audit?: WriteAudit): Promise<Campaign> {
  const name = data.name === undefined ? undefined : requireText(data.name, 'name', 200);
  const description = cleanText(data.description, 'description', 2000);
  const channels = data.channels === undefined ? undefined : checkChannels(data.channels, 'channels');
  if (data.startsAt === null) throw badInput('startsAt cannot be cleared', 'startsAt');
  for (const f of ['controlPercent', 'attributionWindowDays'] as const) if (data[f] === null) throw badInput(`${f} cannot be cleared`, f);
  checkEnum(data.status, CampaignStatus, 'status');
  return em.transactional(async (tem) => {
    const campaign = await tem.findOne(Campaign, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!campaign) throw new DomainError(ErrorCode.NOT_FOUND, 'campaign not found', { field: 'id' });
    checkTransition(campaign.status, data.status, 'campaign');
    const measurement = {
      controlPercent: data.controlPercent ?? campaign.controlPercent,
      attributionWindowDays: data.attributionWindowDays ?? campaign.attributionWindowDays,
      costMinor: data.costMinor === undefined ? (campaign.costMinor == null ? null : Number(campaign.costMinor)) : data.costMinor,
      currency: data.currency === undefined ? (campaign.currency ?? null) : data.currency,
    };
    checkMeasurement(measurement);
    // Moving the share once customers may have been assigned would move them between the groups.
    if (measurement.controlPercent !== campaign.controlPercent && campaign.status !== CampaignStatus.DRAFT) {
      throw badInput('controlPercent is fixed once the campaign has left DRAFT', 'controlPercent');
    }
    const startsAt = data.startsAt ?? campaign.startsAt;
    const endsAt = data.endsAt === undefined ? campaign.endsAt : data.endsAt;
    checkWindow(startsAt, endsAt);
    if (channels) {
      // Narrowing the campaign must not strand its offers on channels it no longer allows.
      const [bad]: Array<{ code: string }> = await tem.execute(
        `select code from offers where campaign_id = ? and not (channels <@ ?::text[]) order by code limit 1`, [id, textArray(channels)],
      );
      if (bad) throw badInput(`offer ${bad.code} uses a channel outside the new campaign channels`, 'channels');
    }
    if (name !== undefined) campaign.name = name;
    if (description !== undefined) campaign.description = description;
    if (channels) campaign.channels = channels;
    campaign.startsAt = startsAt;
    campaign.endsAt = endsAt ?? null;
    if (data.status != null) campaign.status = data.status;
    campaign.controlPercent = measurement.controlPercent;
    campaign.attributionWindowDays = measurement.attributionWindowDays;
    campaign.costMinor = measurement.costMinor == null ? null : String(measurement.costMinor);
    campaign.currency = measurement.currency ?? null;
    await tem.flush();
    await audit?.(tem, null);
    return campaign;
  });
}

export interface OfferData {
  code: string;
  name: string;
  description?: string | null;
  campaignId?: string | null;
  goal?: OfferGoal | null;
  valueMinor: number;
  currency: string;
  discountPercent?: number | null;
  discountMinor?: number | null;
  targetSegmentIds?: string[] | null;
  consentPurpose?: ConsentPurpose | null;
  channels: OfferChannel[];
  startsAt: Date;
  endsAt?: Date | null;
  maxAcceptancesPerCustomer?: number | null;
  status?: OfferStatus | null;
  variantWeight?: number | null;
}

const MAX_VARIANT_WEIGHT = 1000;

function checkMinor(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_MINOR) throw badInput(`${field} must be a non-negative integer (minor units)`, field);
}

/** Field checks that need no database; `merged` is the offer as it would be after the write. */
function checkOfferShape(merged: Omit<OfferData, 'code' | 'name'>): void {
  checkMinor(merged.valueMinor, 'valueMinor');
  checkCurrency(merged.currency);
  if (merged.discountPercent != null && (!Number.isInteger(merged.discountPercent) || merged.discountPercent < 1 || merged.discountPercent > 100)) {
    throw badInput('discountPercent must be an integer from 1 to 100', 'discountPercent');
  }
  if (merged.discountMinor != null) checkMinor(merged.discountMinor, 'discountMinor');
  if (merged.discountPercent != null && merged.discountMinor != null) throw badInput('give discountPercent or discountMinor, not both', 'discountMinor');
  checkEnum(merged.goal, OfferGoal, 'goal');
  checkEnum(merged.consentPurpose, ConsentPurpose, 'consentPurpose');
  checkEnum(merged.status, OfferStatus, 'status');
  checkWindow(merged.startsAt, merged.endsAt);
  if (merged.maxAcceptancesPerCustomer != null && (!Number.isInteger(merged.maxAcceptancesPerCustomer) || merged.maxAcceptancesPerCustomer < 1 || merged.maxAcceptancesPerCustomer > MAX_ACCEPTANCES)) {
    throw badInput(`maxAcceptancesPerCustomer must be 1 to ${MAX_ACCEPTANCES}, or null for no limit`, 'maxAcceptancesPerCustomer');
  }
  const vw = merged.variantWeight;
  if (vw != null) {
    if (!Number.isInteger(vw) || vw < 1 || vw > MAX_VARIANT_WEIGHT) throw badInput(`variantWeight must be an integer from 1 to ${MAX_VARIANT_WEIGHT}`, 'variantWeight');
    if (!merged.campaignId) throw badInput('a variant (variantWeight) belongs to a campaign: give campaignId', 'variantWeight');
  }
  if ((merged.targetSegmentIds?.length ?? 0) > MAX_SEGMENTS) throw badInput(`an offer targets at most ${MAX_SEGMENTS} segments`, 'targetSegmentIds');
}

/** References that need the database: the campaign (its channels bound the offer's) and every target segment. */
/**
 * A campaign's variants are fixed once it has left DRAFT: adding, removing or reweighing one would
 * move customers from the variant they were given to another.
 */
function checkVariantChange(before: { campaign: Campaign | null; weight: number | null }, after: { campaign: Campaign | null; weight: number | null }): void {
  const moved = before.campaign?.id !== after.campaign?.id || before.weight !== after.weight;
  if (!moved) return;
  for (const side of [before, after]) {
    if (side.campaign && side.weight != null && side.campaign.status !== CampaignStatus.DRAFT) {
      throw badInput(`the variants of campaign ${side.campaign.code} are fixed once it has left DRAFT`, 'variantWeight');
    }
  }
}

async function checkOfferRefs(tem: EntityManager, campaignId: string | null | undefined, channels: OfferChannel[], segmentIds: string[]): Promise<Campaign | null> {
  let campaign: Campaign | null = null;
  if (campaignId) {
    campaign = await tem.findOne(Campaign, { id: campaignId });
    if (!campaign) throw new DomainError(ErrorCode.NOT_FOUND, 'campaign not found', { field: 'campaignId' });
    const outside = channels.filter((c) => !campaign!.channels.includes(c));
    if (outside.length) throw badInput(`channels ${outside.join(', ')} are not channels of campaign ${campaign.code}`, 'channels');
  }
  if (segmentIds.length) {
    const found: Array<{ id: string }> = await tem.execute('select id from segments where id = any(?::uuid[])', [uuidArray(segmentIds)]);
    if (found.length !== segmentIds.length) throw new DomainError(ErrorCode.NOT_FOUND, 'a target segment was not found', { field: 'targetSegmentIds' });
  }
  return campaign;
}

export async function createOffer(em: EntityManager, data: OfferData, createdBy: string, audit?: WriteAudit): Promise<Offer> {
  const code = checkCode(data.code, 'code');
  const name = requireText(data.name, 'name', 200);
  const description = cleanText(data.description, 'description', 2000) ?? null;
  const channels = checkChannels(data.channels, 'channels');
  const segmentIds = [...new Set(data.targetSegmentIds ?? [])];
  checkOfferShape({ ...data, targetSegmentIds: segmentIds });
  return em.transactional(async (tem) => {
    if (await tem.findOne(Offer, { code })) throw conflict(`an offer with code "${code}" exists`, { field: 'code' });
    const campaign = await checkOfferRefs(tem, data.campaignId, channels, segmentIds);
    checkVariantChange({ campaign: null, weight: null }, { campaign, weight: data.variantWeight ?? null });
    const offer = tem.create(Offer, {
      variantWeight: data.variantWeight ?? null,
      code, name, description, campaign, goal: data.goal ?? OfferGoal.GENERAL, valueMinor: String(data.valueMinor), currency: data.currency,
      discountPercent: data.discountPercent ?? null, discountMinor: data.discountMinor == null ? null : String(data.discountMinor),
      segmentIds, consentPurpose: data.consentPurpose ?? null, channels, startsAt: data.startsAt, endsAt: data.endsAt ?? null,
      // Absent means the default of one acceptance; an explicit null means no limit.
      maxAcceptancesPerCustomer: data.maxAcceptancesPerCustomer === undefined ? 1 : data.maxAcceptancesPerCustomer,
      status: data.status ?? OfferStatus.DRAFT, createdBy,
    });
    await tem.flush();
    await audit?.(tem, null);
    return offer;
  });
}

/** undefined: keep; null: clear (where the field may be empty). */
export type OfferUpdate = { [K in keyof OfferData]?: OfferData[K] | null };

export async function updateOffer(em: EntityManager, id: string, data: OfferUpdate, audit?: WriteAudit): Promise<Offer> {
  const code = data.code === undefined ? undefined : checkCode(data.code as string, 'code');
  const name = data.name === undefined ? undefined : requireText(data.name, 'name', 200);
  const description = cleanText(data.description, 'description', 2000);
  const channels = data.channels === undefined ? undefined : checkChannels(data.channels, 'channels');
  for (const f of ['valueMinor', 'currency', 'channels', 'startsAt'] as const) if (data[f] === null) throw badInput(`${f} cannot be cleared`, f);
  return em.transactional(async (tem) => {
    const offer = await tem.findOne(Offer, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!offer) throw new DomainError(ErrorCode.NOT_FOUND, 'offer not found', { field: 'id' });
    checkTransition(offer.status, data.status, 'offer');
    const pick = <K extends keyof OfferData>(k: K, current: OfferData[K]): OfferData[K] => (data[k] === undefined ? current : data[k]) as OfferData[K];
    const merged: OfferData = {
      code: code ?? offer.code, name: name ?? offer.name,
      valueMinor: pick('valueMinor', Number(offer.valueMinor)), currency: pick('currency', offer.currency),
      discountPercent: pick('discountPercent', offer.discountPercent ?? null),
      discountMinor: pick('discountMinor', offer.discountMinor == null ? null : Number(offer.discountMinor)),
      goal: pick('goal', offer.goal), consentPurpose: pick('consentPurpose', offer.consentPurpose ?? null), status: pick('status', offer.status),
      startsAt: pick('startsAt', offer.startsAt), endsAt: pick('endsAt', offer.endsAt ?? null),
      maxAcceptancesPerCustomer: pick('maxAcceptancesPerCustomer', offer.maxAcceptancesPerCustomer ?? null),
      targetSegmentIds: data.targetSegmentIds === undefined ? offer.segmentIds : [...new Set(data.targetSegmentIds ?? [])],
      campaignId: data.campaignId === undefined ? (offer.campaign?.id ?? null) : data.campaignId,
      channels: channels ?? offer.channels,
      variantWeight: pick('variantWeight', offer.variantWeight ?? null),
    };
    checkOfferShape(merged);
    if (code !== undefined && code !== offer.code && (await tem.findOne(Offer, { code, id: { $ne: id } }))) {
      throw conflict(`an offer with code "${code}" exists`, { field: 'code' });
    }
    const campaign = await checkOfferRefs(tem, merged.campaignId, merged.channels, merged.targetSegmentIds ?? []);
    const previous = offer.campaign ? await tem.findOne(Campaign, { id: offer.campaign.id }) : null;
    checkVariantChange({ campaign: previous, weight: offer.variantWeight ?? null }, { campaign, weight: merged.variantWeight ?? null });
    Object.assign(offer, {
      variantWeight: merged.variantWeight ?? null,
      code: merged.code, name: merged.name, campaign, goal: merged.goal, valueMinor: String(merged.valueMinor), currency: merged.currency,
      discountPercent: merged.discountPercent ?? null, discountMinor: merged.discountMinor == null ? null : String(merged.discountMinor),
      segmentIds: merged.targetSegmentIds ?? [], consentPurpose: merged.consentPurpose ?? null, channels: merged.channels,
      startsAt: merged.startsAt, endsAt: merged.endsAt ?? null, maxAcceptancesPerCustomer: merged.maxAcceptancesPerCustomer ?? null, status: merged.status,
    });
    if (description !== undefined) offer.description = description;
    await tem.flush();
    await audit?.(tem, null);
    return offer;
  });
}

export interface OfferListArgs {
  status?: OfferStatus | null;
  campaignId?: string | null;
  first: number;
}

export function listOffers(em: EntityManager, args: OfferListArgs): Promise<Offer[]> {
  const where: Record<string, unknown> = {};
  if (args.status) where.status = args.status;
  if (args.campaignId) where.campaign = args.campaignId;
  return em.find(Offer, where, { orderBy: { code: 'asc' }, limit: args.first });
}

export function listCampaigns(em: EntityManager, args: { status?: CampaignStatus | null; first: number }): Promise<Campaign[]> {
  return em.find(Campaign, args.status ? { status: args.status } : {}, { orderBy: { code: 'asc' }, limit: args.first });
}

// ---------------------------------------------------------------------------------------------
// Next-best offer
// ---------------------------------------------------------------------------------------------

export interface RankedOffer {
  customer: { id: string };
  offer: Offer;
  score: number;
  pAccept: number;
  expectedValueMinor: number;
  reason: string;
}

const OFFER_TYPES = [InteractionType.OFFER_SHOWN, InteractionType.OFFER_ACCEPTED, InteractionType.OFFER_REJECTED];

/** SQL: responses of one type a customer gave an offer in months retention dropped (interaction_rollups; 0 without retention). */
const rolledUpSql = (type: string, customer: string, offerId: string) =>
  `(select coalesce(sum(r.n), 0)::int from interaction_rollups r where r.customer_id = ${customer} and r.type = ${type} and r.offer_id = ${offerId})`;

/**
 * Eligible offers for many customers on one channel, ranked (offer-ranking.ts): ONE statement for
 * all of them. Eligibility, in SQL: customer active; offer ACTIVE and now in its window; its campaign
 * (if any) ACTIVE, in window and allowing the channel; the channel in the offer's channels; the
 * channel's consent purpose granted in force (CHANNEL_CONSENT) and the offer's own purpose too;
 * a member of one target segment (when it names any) or granted it by an OFFER trigger; fewer acceptances than the offer allows.
 */
/**
 * `writeEm`: where the HELD_OUT records go. A query read from a replica (README "Scaling out") ranks
 * there but must write on the primary.
 */
export async function rankOffers(em: EntityManager, customerIds: readonly string[], channel: OfferChannel, first: number, writeEm: EntityManager = em): Promise<Map<string, RankedOffer[]>> {
  const consent = CHANNEL_CONSENT[channel];
  const rows: Array<{
    customer_id: string; offer: Record<string, unknown>; held_out: boolean; own_rejected: number; own_accepted: number; own_shown_recent: number; own_responded_recent: number;
    churn_risk: number | null; p_alive: number | null; value_tier: string | null;
  }> = await em.execute(
    `with o as (
       select o.* from offers o left join campaigns c on c.id = o.campaign_id
       where o.status = 'active' and o.starts_at <= now() and (o.ends_at is null or o.ends_at > now()) and ? = any(o.channels)
         and (o.campaign_id is null or (c.status = 'active' and c.starts_at <= now() and (c.ends_at is null or c.ends_at > now()) and ? = any(c.channels)))),
     vs as (${VARIANT_SLICES_SQL})
     select a.id as customer_id, to_jsonb(o) as offer, g.held_out, h.own_rejected, h.own_accepted, h.own_shown_recent, h.own_responded_recent,
            m.churn_risk, m.p_alive, m.value_tier
     from customers a
     cross join o
     -- Model outputs do not rank offers for a customer who objected to profiling (PROFILING_OBJECTION).
     left join customer_metrics m on m.customer_id = a.id and not ${profilingObjectionSql('a.id')}
     cross join lateral (
       select count(*) filter (where n.type = 'offer_rejected')::int + ${rolledUpSql("'offer_rejected'", 'a.id', 'o.id::text')} as own_rejected,
              count(*) filter (where n.type = 'offer_accepted')::int + ${rolledUpSql("'offer_accepted'", 'a.id', 'o.id::text')} as own_accepted,
              count(*) filter (where n.type = 'offer_shown' and n.occurred_at > now() - make_interval(days => ?))::int as own_shown_recent,
              count(*) filter (where n.type <> 'offer_shown' and n.occurred_at > now() - make_interval(days => ?))::int as own_responded_recent
       from interactions n
       where n.customer_id = a.id and n.type in (${OFFER_TYPES.map((t) => `'${t}'`).join(', ')}) and (n.properties ->> 'offerId') = o.id::text) h
     -- the campaign's control group sees none of its offers (held_out rows are recorded, not offered)
     cross join lateral (select exists (select 1 from campaigns hc where hc.id = o.campaign_id and ${controlSql('hc', 'a.id')}) as held_out) g
     where a.id = any(?::uuid[]) and a.status = 'active'
       -- an A/B variant only for the customers it is drawn for (a held-out customer has none)
       and (g.held_out or o.variant_weight is null or exists (select 1 from vs where vs.id = o.id and ${variantSql('vs', 'a.id')}))
       and rapport_consent_status(a.id, ?, ?) = 'granted'
       and (o.consent_purpose is null or rapport_consent_status(a.id, o.consent_purpose, ?) = 'granted')
       and (cardinality(o.segment_ids) = 0 or exists (
             select 1 from segment_memberships sm where sm.customer_id = a.id and sm.segment_id = any(o.segment_ids) and sm.left_at is null)
             -- an OFFER trigger made it eligible for this customer (README "Triggers"), in place of segment targeting
             or exists (select 1 from offer_grants og where og.customer_id = a.id and og.offer_id = o.id and og.expires_at > now()))
       and (o.max_acceptances_per_customer is null or h.own_accepted < o.max_acceptances_per_customer)`,
    [channel, channel, FATIGUE_DAYS, FATIGUE_DAYS, uuidArray(customerIds), consent.purpose, consent.channel, consent.channel],
  );
  const byCustomer = new Map<string, RankedOffer[]>();
  const held = new Map<string, { campaignId: string; customerId: string }>();
  for (const r of rows) {
    if (r.held_out) {
      const campaignId = (r.offer as { campaign_id: string }).campaign_id;
      held.set(`${campaignId}:${r.customer_id}`, { campaignId, customerId: r.customer_id });
      continue;
    }
    const offer = em.map(Offer, r.offer as never);
    const s = scoreOffer(offer.goal, Number(offer.valueMinor), {
      shown: offer.shownCount, accepted: offer.acceptedCount, rejected: offer.rejectedCount,
      ownRejected: r.own_rejected, ownShownRecent: r.own_shown_recent, ownRespondedRecent: r.own_responded_recent,
      attributedRevenueMinor: Number(offer.attributedRevenueMinor), attributedConverters: offer.attributedConverters,
    }, { churnRisk: r.churn_risk, pAlive: r.p_alive, valueTier: r.value_tier });
    const list = byCustomer.get(r.customer_id) ?? [];
    list.push({ customer: { id: r.customer_id }, offer, score: s.expectedValueMinor, pAccept: s.pAccept, expectedValueMinor: s.expectedValueMinor, reason: s.reason });
    byCustomer.set(r.customer_id, list);
  }
  for (const [id, list] of byCustomer) {
    list.sort((x, y) => y.score - x.score || y.pAccept - x.pAccept || x.offer.code.localeCompare(y.offer.code));
    byCustomer.set(id, list.slice(0, first));
  }
  // First eligibility of a control customer: recorded once (HELD_OUT), so results compare like with like.
  await recordHeldOut(writeEm, [...held.values()], channel);
  return byCustomer;
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export interface OfferResponseData {
  customerId: string;
  offerId: string;
  channel: OfferChannel;
  response: OfferResponse;
  occurredAt?: Date | null;
  idempotencyKey?: string | null;
}

/**
 * A control customer is never shown the campaign's offers, and a customer only the A/B variant drawn
 * for them: a response to anything else is refused (CONFLICT), as nextBestOffers would never have
 * offered it.
 */
async function checkShownToCustomer(tem: EntityManager, offer: Offer, customerId: string): Promise<void> {
  const campaign = offer.campaign;
  if (!campaign) return;
  if (isControl(campaign.id, customerId, campaign.controlPercent)) {
    throw conflict(`the customer is in the control group of campaign ${campaign.code}: its offers are held back`, { field: 'customerId' });
  }
  if (offer.variantWeight == null) return;
  const variants: Array<{ id: string; weight: number }> = await tem.execute(
    'select id, variant_weight as weight from offers where campaign_id = ? and variant_weight is not null', [campaign.id],
  );
  const drawn = pickVariant(campaign.id, customerId, variants);
  if (drawn !== offer.id) throw conflict(`offer ${offer.code} is an A/B variant of campaign ${campaign.code} not drawn for this customer`, { field: 'offerId' });
}

const RESPONSE_TYPE: Record<OfferResponse, InteractionType> = {
  [OfferResponse.SHOWN]: InteractionType.OFFER_SHOWN,
  [OfferResponse.ACCEPTED]: InteractionType.OFFER_ACCEPTED,
  [OfferResponse.REJECTED]: InteractionType.OFFER_REJECTED,
};

/** Where the response interactions come from: the idempotency key is unique within this source. */
export const OFFER_RESPONSE_SOURCE = 'offers';

/**
 * Records a response as an interaction (timeline, campaign metrics and live updates see it) and
 * counts it on the offer (population history for ranking), in one transaction. The offer must be
 * ACTIVE, in its window at the response time and allow the channel. ACCEPTED is refused (CONFLICT)
 * once the customer has used up the offer's acceptances; it does NOT re-check segment or consent:
 * membership moves with every analytics run and the customer may accept what they were shown while
 * eligible. With an idempotency key a replay returns the stored interaction and counts nothing.
 */
export async function recordOfferResponse(em: EntityManager, data: OfferResponseData, audit?: WriteAudit): Promise<{ interaction: Interaction; duplicate: boolean }> {
  checkEnum(data.response, OfferResponse, 'response');
  checkEnum(data.channel, OfferChannel, 'channel');
  const key = cleanText(data.idempotencyKey, 'idempotencyKey', 200) ?? null;
  if (key && !data.occurredAt) throw badInput('occurredAt is required with idempotencyKey', 'occurredAt');
  const at = data.occurredAt ?? new Date();
  checkNotFuture(at, 'occurredAt');

  return em.transactional(async (tem) => {
    // Serialises acceptances of one offer by one customer, so two concurrent ones cannot both pass the limit.
    const lock = advisoryLockSql([`offer-response:${data.offerId}:${data.customerId}`])!;
    await tem.execute(lock.sql, lock.params);
    const offer = await tem.findOne(Offer, { id: data.offerId }, { populate: ['campaign'] });
    if (!offer) throw new DomainError(ErrorCode.NOT_FOUND, 'offer not found', { field: 'offerId' });
    const replay = key
      ? (await tem.execute('select 1 from interaction_event_keys where source = ? and source_event_id = ?', [OFFER_RESPONSE_SOURCE, key])).length > 0
      : false;
    // A replay is judged on its content alone (recordInteraction): the offer may have ended since.
    if (!replay) {
      if (offer.status !== OfferStatus.ACTIVE) throw badInput(`offer ${offer.code} is ${offer.status}, not active`, 'offerId');
      if (at < offer.startsAt || (offer.endsAt && at >= offer.endsAt)) throw badInput(`offer ${offer.code} is not valid at ${at.toISOString()}`, 'occurredAt');
      if (!offer.channels.includes(data.channel)) throw badInput(`offer ${offer.code} does not go out on ${data.channel}`, 'channel');
      await checkShownToCustomer(tem, offer, data.customerId);
      if (data.response === OfferResponse.ACCEPTED && offer.maxAcceptancesPerCustomer != null) {
        const [{ n }]: Array<{ n: number }> = await tem.execute(
          `select (select count(*)::int from interactions where customer_id = ? and type = 'offer_accepted' and (properties ->> 'offerId') = ?)
                  + ${rolledUpSql("'offer_accepted'", '?::uuid', '?')} as n`,
          [data.customerId, offer.id, data.customerId, offer.id],
        );
        if (n >= offer.maxAcceptancesPerCustomer) {
          throw conflict(`the customer has already accepted offer ${offer.code} ${n} time(s), the most it allows`, { field: 'response' });
        }
      }
    }
    const result = await recordInteraction(tem, {
      customerId: toGlobalId('Customer', data.customerId), occurredAt: at, channel: data.channel as unknown as InteractionChannel, type: RESPONSE_TYPE[data.response],
      campaign: offer.campaign?.code ?? null, properties: { offerId: offer.id },
      source: OFFER_RESPONSE_SOURCE, sourceEventId: key,
    }, audit, { rights: ACTIVITY_RIGHTS });
    if (!result.duplicate) {
      const column = { shown: 'shown_count', accepted: 'accepted_count', rejected: 'rejected_count' }[data.response];
      await tem.execute(`update offers set ${column} = ${column} + 1 where id = ?`, [offer.id]);
    }
    return result;
  });
}
